using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench inference --scenarios cold</c>: a service deployed as a user deploys it. A real portal (a child process with its
/// own embedded broker) trains the HCOPD MLP, then the timed part: <c>POST /api/inferences</c> with 2 replicas on new topics,
/// one probe sample sent as soon as the call returns (deploy -> first prediction), the status polled every 50 ms (deploy ->
/// deployed, deploy -> running), and the first samples sent at the paced rate right after <c>running</c>, beside the steady
/// state of the same stream that follows them.
/// </summary>
internal sealed partial class InferenceBenchmark
{
    private const int ColdSeedEpochs = 20;
    private const int ColdReplicas = 2;
    private static readonly TimeSpan StatusPoll = TimeSpan.FromMilliseconds(50);

    /// <summary>When an inference first showed each status, counted from the deploy call.</summary>
    private sealed record StatusTimes(TimeSpan? Deployed, TimeSpan Running, int? InputPartitions, int AssignedPartitions);

    private static async Task<ScenarioResult> MeasureColdStartAsync(Settings settings, byte[][] inputs, CancellationToken cancellationToken)
    {
        var dataDir = Directory.CreateTempSubdirectory("kafkaml-bench-cold-").FullName;
        var portal = PortalChild.Start(dataDir);
        try
        {
            return await MeasureColdStartAsync(settings, inputs, portal, cancellationToken);
        }
        catch (Exception e) when (PortalBenchmark.IsPortalFailure(e))
        {
            throw new BenchFailure(e.Message, $"last lines of the portal's output:\n{portal.Tail()}");
        }
        finally
        {
            await portal.DisposeAsync();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<ScenarioResult> MeasureColdStartAsync(Settings settings, byte[][] inputs, PortalChild portal, CancellationToken cancellationToken)
    {
        using var http = portal.CreateClient();
        await Console.Error.WriteLineAsync($"cold: portal starting at {portal.Url} (data in {portal.DataDir})");
        var setup = await PortalBenchmark.SetUpAsync(portal, http, cancellationToken);
        await Console.Error.WriteLineAsync($"cold: training the HCOPD MLP through the portal ({ColdSeedEpochs} epochs)");
        var resultId = await setup.TrainAsync(ColdSeedEpochs, cancellationToken);
        await setup.Api.WaitForResultAsync(resultId, s => s is "finished" or "failed" or "stopped", cancellationToken);
        var result = await http.GetFromJsonAsync<JsonObject>($"/api/results/{resultId}", PortalApi.Json, cancellationToken);
        if (result?["status"]?.GetValue<string>() != "finished")
            throw new BenchFailure($"the seed training (result {resultId}) ended {result?["status"]}: {result?["error"]}");

        var id = Guid.NewGuid().ToString("N")[..10];
        var (input, output) = ($"bench-cold-in-{id}", $"bench-cold-out-{id}");
        await Console.Error.WriteLineAsync($"cold: deploying {ColdReplicas} replicas on new topics {input} -> {output}");
        var deploy = Stopwatch.GetTimestamp();
        var inference = await setup.Api.PostAsync("/api/inferences",
            new { resultId, replicas = ColdReplicas, inputTopic = input, outputTopic = output, partitions = settings.Partitions }, cancellationToken);
        var callAnswered = Stopwatch.GetElapsedTime(deploy);
        var window = TimeSpan.FromSeconds(settings.WindowSeconds);
        using var stream = new PacedStream(setup.Bootstrap, input, output, inputs, settings.PacedRate,
            settings.ColdSamples + (int)(settings.PacedRate * (window + Drain).TotalSeconds) + settings.PacedRate * 60);
        var probe = stream.Probe();
        var status = await WaitForRunningAsync(http, inference.Id(), deploy, cancellationToken);

        await Console.Error.WriteLineAsync($"cold: running after {BenchText.Seconds(status.Running)}; {settings.ColdSamples} samples at {settings.PacedRate}/s, then the steady state for {settings.WindowSeconds} s");
        var running = deploy + Ticks(status.Running);
        stream.Start();
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var assignment = WatchAssignmentAsync(http, inference.Id(), running, stopWatching.Token);
        while (stream.Count <= settings.ColdSamples) await Task.Delay(20, cancellationToken);
        var steadyFrom = stream.SentAt(settings.ColdSamples);
        await stopWatching.CancelAsync();
        var (holders, settled) = await assignment;
        await PacedStream.UntilAsync(steadyFrom + Ticks(window), cancellationToken);
        await stream.StopAsync(Drain, cancellationToken);

        var firstSamples = Enumerable.Range(0, settings.ColdSamples).ToList();
        var first = stream.Cut($"first {settings.ColdSamples} sent right after 'running'", firstSamples);
        var windows = new List<Window>
        {
            stream.Cut($"steady, the {settings.WindowSeconds} s after them", stream.SentBetween(steadyFrom, window)),
            first,
            stream.Cut($"  of them, sent once all replicas served (+{(settled is { } at ? BenchText.Seconds(Stopwatch.GetElapsedTime(running, at)) : "never")})",
                settled is { } since ? firstSamples.Where(i => stream.SentAt(i) >= since) : []),
            stream.Cut("whole stream", Enumerable.Range(0, stream.Count)),
        };
        var firstPrediction = stream.ProbeAnswered is { } answered ? Stopwatch.GetElapsedTime(deploy, answered) : (TimeSpan?)null;
        var notes = new List<string>
        {
            $"deploy call (POST /api/inferences, topics created) answered after {BenchText.Seconds(callAnswered)}",
            $"deploy -> deployed (replicas started) {BenchText.Seconds(status.Deployed)}",
            $"deploy -> running (every input partition held by a reporting replica: {status.AssignedPartitions} of {status.InputPartitions?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}) {BenchText.Seconds(status.Running)}",
            $"deploy -> first prediction (a probe sent {BenchText.Seconds(Stopwatch.GetElapsedTime(deploy, probe))} after the call began) {Seconds(firstPrediction)}",
        };
        notes.AddRange(WhereTheFirstSamplesWaited(stream, firstSamples, running));
        notes.Add($"'all replicas served': from the first poll (every 100 ms from 'running') at which each of the {ColdReplicas} replicas held partitions");
        notes.Add($"who held the input partitions while they were sent (the API's stats.replicas, polled every 100 ms, from 'running'): {string.Join("; ", holders)}");
        notes.AddRange(StartupLines(portal.DataDir, inference.Id()));
        var p99 = first.Latency?.P99 ?? double.PositiveInfinity;
        var targets = new List<string>
        {
            $"target     cold start: first {settings.ColdSamples} samples after 'running' e2e p99 < 100 ms ({Ms(p99)}, lost {first.Lost}): {(p99 < 100 && first.Lost == 0 ? "met" : "NOT met")}",
        };
        return new ScenarioResult($"cold start: a real portal deploys {ColdReplicas} replicas on new topics", windows, notes, targets);
    }

    /// <summary>
    /// Which of the first samples were slow (over the target's 100 ms), and per input partition (each held by one replica)
    /// the slowest sample and when its first answer came, counted from the moment 'running' was seen.
    /// </summary>
    private static IEnumerable<string> WhereTheFirstSamplesWaited(PacedStream stream, IReadOnlyList<int> samples, long running)
    {
        var slow = stream.SlowerThan(samples, 100);
        yield return slow.Count == 0
            ? "none of them took over 100 ms"
            : $"{slow.Count} of them took over 100 ms (or were never answered), the last of those sent {BenchText.Seconds(Stopwatch.GetElapsedTime(stream.SentAt(samples[0]), stream.SentAt(slow[^1])))} after the first";
        if (slow.Count > 0)
        {
            var slowest = slow.OrderByDescending(i => stream.Of(i).Milliseconds ?? double.MaxValue).Take(12).Order()
                .Select(i => $"+{BenchText.Seconds(Stopwatch.GetElapsedTime(running, stream.SentAt(i)))} p{stream.Of(i).Partition} {Figure(stream.Of(i).Milliseconds)}");
            yield return $"  the slowest, by send time from 'running' seen (partition, e2e): {string.Join(", ", slowest)}";
        }
        foreach (var partition in stream.PartitionsOf(samples))
        {
            var on = stream.On(samples, [partition]).ToList();
            var figures = stream.Cut("", on);
            var firstAnswer = stream.FirstAnswer(on) is { } at ? BenchText.Seconds(Stopwatch.GetElapsedTime(running, at)) : "never";
            yield return $"  input partition {partition}: {figures.Sent} of them, max {Figure(figures.Latency?.Max)}, first answered {firstAnswer} after 'running' was seen";
        }
    }

    /// <summary>Polls the inference every 100 ms until cancelled; notes each change of which replica holds which partitions (time from <paramref name="running"/>).</summary>
    /// <returns>The changes, and when (a <see cref="Stopwatch"/> timestamp) every replica first held a partition, if it did.</returns>
    private static async Task<(List<string> Changes, long? Settled)> WatchAssignmentAsync(HttpClient http, int inferenceId, long running, CancellationToken stop)
    {
        var changes = new List<string>();
        string? last = null;
        long? settled = null;
        try
        {
            while (true)
            {
                var inference = await http.GetFromJsonAsync<JsonObject>($"/api/inferences/{inferenceId}", PortalApi.Json, stop);
                var replicas = inference?["stats"]?["replicas"]?.AsArray() ?? [];
                var holds = string.Join(", ", replicas
                    .Select(r => $"replica {r?["replica"]} [{string.Join(", ", r?["partitions"]?.AsArray().Select(p => p?.ToString()) ?? [])}]")
                    .Order(StringComparer.Ordinal));
                if (settled is null && replicas.Count(r => r?["partitions"]?.AsArray().Count > 0) >= ColdReplicas) settled = Stopwatch.GetTimestamp();
                if (holds != last) changes.Add($"+{BenchText.Seconds(Stopwatch.GetElapsedTime(running))} {holds}");
                last = holds;
                await Task.Delay(100, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return (changes, settled);
        }
    }

    /// <summary>Polls <c>GET /api/inferences/{id}</c> every 50 ms until it is <c>running</c>; a failed or stopped inference ends the run.</summary>
    private static async Task<StatusTimes> WaitForRunningAsync(HttpClient http, int inferenceId, long deploy, CancellationToken cancellationToken)
    {
        TimeSpan? deployed = null;
        while (true)
        {
            var inference = await http.GetFromJsonAsync<JsonObject>($"/api/inferences/{inferenceId}", PortalApi.Json, cancellationToken)
                ?? throw new BenchFailure($"GET /api/inferences/{inferenceId} answered nothing.");
            var status = inference["status"]?.GetValue<string>();
            var elapsed = Stopwatch.GetElapsedTime(deploy);
            if (status is "deployed" or "running") deployed ??= elapsed;
            if (status == "running")
                return new StatusTimes(deployed, elapsed, (int?)inference["inputPartitions"], (int?)inference["stats"]?["assignedPartitions"] ?? 0);
            if (status is "failed" or "stopped") throw new BenchFailure($"inference {inferenceId} is {status}: {inference["error"]}");
            if (elapsed > TimeSpan.FromMinutes(5)) throw new BenchFailure($"inference {inferenceId} is still {status} 5 minutes after the deploy call.");
            await Task.Delay(StatusPoll, cancellationToken);
        }
    }

    /// <summary>The replicas' <c>startup</c> lines from the local runner's job logs (<c>jobs/&lt;job&gt;/replica-N.log</c>).</summary>
    private static IEnumerable<string> StartupLines(string dataDir, int inferenceId)
    {
        var directory = Path.Combine(dataDir, "jobs", JobSpec.InferenceName(inferenceId));
        if (!Directory.Exists(directory)) return [$"(no job logs in {directory}: the replicas' startup lines are not available)"];
        var lines = new List<string>();
        foreach (var file in Directory.GetFiles(directory, "replica-*.log").Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            while (reader.ReadLine() is { } line)
                if (line.Contains(" startup: ", StringComparison.Ordinal)) lines.Add(line);
        }
        return lines;
    }
}
