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
        stream.Start();
        while (stream.Count <= settings.ColdSamples) await Task.Delay(20, cancellationToken);
        var steadyFrom = stream.SentAt(settings.ColdSamples);
        await PacedStream.UntilAsync(steadyFrom + Ticks(window), cancellationToken);
        await stream.StopAsync(Drain, cancellationToken);

        var first = stream.Cut($"first {settings.ColdSamples} sent right after 'running'", Enumerable.Range(0, settings.ColdSamples));
        var windows = new List<Window>
        {
            stream.Cut($"steady, the {settings.WindowSeconds} s after them", stream.SentBetween(steadyFrom, window)),
            first,
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
        notes.AddRange(StartupLines(portal.DataDir, inference.Id()));
        var p99 = first.Latency?.P99 ?? double.PositiveInfinity;
        var targets = new List<string>
        {
            $"target     cold start: first {settings.ColdSamples} samples after 'running' e2e p99 < 100 ms ({Ms(p99)}, lost {first.Lost}): {(p99 < 100 && first.Lost == 0 ? "met" : "NOT met")}",
        };
        return new ScenarioResult($"cold start: a real portal deploys {ColdReplicas} replicas on new topics", windows, notes, targets);
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
