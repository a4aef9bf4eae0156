using System.Diagnostics;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench inference --scenarios</c>: what a service's readiness costs a paced stream. Scale (2 -> 4 -> 2 replica processes)
/// and replica loss (SIGKILL of one of 2) run against this benchmark's broker with portal-free <c>infer</c> processes;
/// the cold start deploys through a real portal (<see cref="MeasureColdStartAsync"/>). Each reports the windows after its
/// events beside the steady state of the same stream, measured before the first event.
/// </summary>
internal sealed partial class InferenceBenchmark
{
    /// <summary>The scenario names <c>--scenarios</c> takes.</summary>
    private static class Scenario
    {
        public const string Cold = "cold";
        public const string Scale = "scale";
        public const string Loss = "loss";

        public static readonly IReadOnlyList<string> All = [Cold, Scale, Loss];
    }

    /// <summary>One scenario's report: its windows (steady state first, whole stream last), notes, and target lines.</summary>
    private sealed record ScenarioResult(string Title, IReadOnlyList<Window> Windows, IReadOnlyList<string> Notes, IReadOnlyList<string> Targets);

    /// <summary>How long the paced stream runs before the steady-state window: the replicas' first predictions (JIT) fall in it.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    /// <summary>Between the steady-state window and the first event, so an input sent just before the event does not count as steady.</summary>
    private static readonly TimeSpan Gap = TimeSpan.FromSeconds(1);

    /// <summary>How long a stopped stream waits for the answers still due.</summary>
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(30);

    private static async Task<int> MeasureScenariosAsync(
        Settings settings, BenchBroker broker, byte[][] inputs, ModelFiles files, CancellationToken cancellationToken)
    {
        var loadBefore = BenchText.LoadAverage();
        var results = new List<ScenarioResult>();
        if (settings.Scenarios.Contains(Scenario.Cold)) results.Add(await MeasureColdStartAsync(settings, inputs, cancellationToken));
        if (settings.Scenarios.Contains(Scenario.Scale))
            results.Add(await WithReplicasAsync(settings, broker, inputs, files, Scenario.Scale, windows: 3, MeasureScaleAsync, cancellationToken));
        if (settings.Scenarios.Contains(Scenario.Loss))
            results.Add(await WithReplicasAsync(settings, broker, inputs, files, Scenario.Loss, windows: 2, MeasureLossAsync, cancellationToken));
        await ReportScenariosAsync(settings, results, (loadBefore, BenchText.LoadAverage()), cancellationToken);
        return 0;
    }

    /// <summary>
    /// Runs a scenario on 2 replica processes sharing fresh topics, with a paced stream through them that has run through
    /// its warm-up, the steady-state window (its start is passed on) and the gap; stops the replicas afterwards.
    /// </summary>
    private static async Task<ScenarioResult> WithReplicasAsync(
        Settings settings, BenchBroker broker, byte[][] inputs, ModelFiles files, string kind, int windows,
        Func<Settings, ReplicaGroup, PacedStream, long, CancellationToken, Task<ScenarioResult>> scenario, CancellationToken cancellationToken)
    {
        await using var group = await ReplicaGroup.StartAsync(settings, broker, files, kind, 2, cancellationToken);
        using var stream = group.Stream(inputs, windows);
        var steadyFrom = await group.SteadyStateAsync(stream, TimeSpan.FromSeconds(settings.WindowSeconds), cancellationToken);
        return await scenario(settings, group, stream, steadyFrom, cancellationToken);
    }

    private static async Task<ScenarioResult> MeasureScaleAsync(
        Settings settings, ReplicaGroup group, PacedStream stream, long steadyFrom, CancellationToken cancellationToken)
    {
        var window = TimeSpan.FromSeconds(settings.WindowSeconds);
        await Console.Error.WriteLineAsync("scale: 2 -> 4 replicas");
        var up = Stopwatch.GetTimestamp();
        group.Add(2);
        var upShared = await WatchAsync(() => InferenceReplica.Share(group.Replicas, settings.Partitions), up + Ticks(window), cancellationToken);

        await Console.Error.WriteLineAsync("scale: 4 -> 2 replicas (SIGTERM)");
        var down = Stopwatch.GetTimestamp();
        var leaving = group.Replicas.Skip(2).ToList();
        var stopping = Task.WhenAll(leaving.Select(r => r.StopAsync(TimeSpan.FromSeconds(30))));
        var downShared = await WatchAsync(
            () => leaving.All(r => r.HasExited) && InferenceReplica.Share(group.Replicas.Take(2).ToList(), settings.Partitions), down + Ticks(window), cancellationToken);
        await stopping;
        await stream.StopAsync(Drain, cancellationToken);

        var windows = new List<Window>
        {
            stream.Cut($"steady, 2 replicas ({settings.WindowSeconds} s)", stream.SentBetween(steadyFrom, window)),
            stream.Cut($"{settings.WindowSeconds} s after 2 -> 4 (2 started)", stream.SentBetween(up, window)),
            stream.Cut($"{settings.WindowSeconds} s after 4 -> 2 (2 SIGTERMed)", stream.SentBetween(down, window)),
            stream.Cut("whole stream", Enumerable.Range(0, stream.Count)),
        };
        var notes = new List<string>
        {
            $"4 replicas held a partition each {Seconds(upShared)} after the 2 were started (process start, TorchSharp, model, group join)",
            $"the 2 left held all {settings.Partitions} partitions {Seconds(downShared)} after the SIGTERM",
        };
        notes.Add($"after 2 -> 4: {ByPartition(stream, stream.SentBetween(up, window), up)}; {Moves(group.Replicas, up, window)}");
        notes.Add($"after 4 -> 2: {ByPartition(stream, stream.SentBetween(down, window), down)}; {Moves(group.Replicas, down, window)}");
        notes.AddRange(group.StartupLines());
        var worst = windows.Skip(1).Take(2).ToList();
        var worstP99 = worst.Max(w => w.Latency?.P99 ?? double.PositiveInfinity);
        var lost = worst.Sum(w => w.Lost) + windows[^1].Lost;
        var targets = new List<string>
        {
            $"target     scale 2 -> 4 -> 2: no input lost (lost {lost}): {(lost == 0 ? "met" : "NOT met")}",
            $"target     scale 2 -> 4 -> 2: p99 < 250 ms in the {settings.WindowSeconds} s after each change (worst {Ms(worstP99)}): {(worstP99 < 250 ? "met" : "NOT met")}",
        };
        return new ScenarioResult($"scale: 2 -> 4 -> 2 replica processes ({group.Protocol})", windows, notes, targets);
    }

    private static async Task<ScenarioResult> MeasureLossAsync(
        Settings settings, ReplicaGroup group, PacedStream stream, long steadyFrom, CancellationToken cancellationToken)
    {
        var window = TimeSpan.FromSeconds(settings.WindowSeconds);
        var victim = group.Replicas[1];
        var held = victim.Holds.ToList();
        await Console.Error.WriteLineAsync($"loss: SIGKILL of replica {victim.Index} (holding partitions [{string.Join(", ", held)}])");
        var kill = Stopwatch.GetTimestamp();
        victim.Kill();
        var survivor = group.Replicas[0];
        var takenOver = await WatchAsync(() => InferenceReplica.Share([survivor], settings.Partitions), kill + Ticks(window), cancellationToken);
        await stream.StopAsync(Drain, cancellationToken);

        var after = stream.SentBetween(kill, window).ToList();
        var onHeld = stream.On(after, held).ToList();
        var heldWindow = stream.Cut($"  of which on its partitions [{string.Join(", ", held)}]", onHeld);
        var whole = stream.Cut("whole stream", Enumerable.Range(0, stream.Count));
        var windows = new List<Window>
        {
            stream.Cut($"steady, 2 replicas ({settings.WindowSeconds} s)", stream.SentBetween(steadyFrom, window)),
            stream.Cut($"{settings.WindowSeconds} s after SIGKILL of 1 of 2", after),
            heldWindow,
            whole,
        };
        var firstAnswer = stream.FirstAnswer(onHeld) is { } first ? Stopwatch.GetElapsedTime(kill, first) : (TimeSpan?)null;
        var gap = heldWindow.Latency?.Max;
        var notes = new List<string>
        {
            $"the survivor held all {settings.Partitions} partitions {Seconds(takenOver)} after the kill (its partitions are taken over once the broker's session timeout expires)",
            $"first answer to an input sent after the kill on the killed replica's partitions: {Seconds(firstAnswer)} after the kill",
            "duplicates count on the window their input was sent in: inputs answered by the killed replica but not yet committed are answered again",
        };
        notes.Add($"after the kill: {Moves(group.Replicas, kill, window)}");
        notes.AddRange(group.StartupLines());
        var targets = new List<string>
        {
            $"target     replica loss: every input answered (lost {whole.Lost}, duplicates {whole.Duplicates}): {(whole.Lost == 0 ? "met" : "NOT met")}",
            $"target     replica loss: longest gap on the killed replica's partitions < 10 s (max e2e of the inputs sent on them after the kill {(gap is { } g ? Ms(g) : "none answered")}): {(gap < 10_000 ? "met" : "NOT met")}",
        };
        return new ScenarioResult($"replica loss: SIGKILL of 1 of 2 replica processes ({group.Protocol})", windows, notes, targets);
    }

    /// <summary>The slowest answer per input partition among <paramref name="messages"/>, with when it was sent (from <paramref name="from"/>).</summary>
    private static string ByPartition(PacedStream stream, IEnumerable<int> messages, long from)
    {
        var list = messages.ToList();
        return "max e2e by input partition (sent at): " + string.Join(", ", stream.PartitionsOf(list).Select(p =>
        {
            var slowest = stream.On(list, [p]).MaxBy(i => stream.Of(i).Milliseconds ?? double.MaxValue);
            return $"p{p} {Figure(stream.Of(slowest).Milliseconds)} (+{BenchText.Seconds(Stopwatch.GetElapsedTime(from, stream.SentAt(slowest)))})";
        }));
    }

    /// <summary>The replicas' assignment changes within <paramref name="window"/> from <paramref name="from"/>, timed from it and in order.</summary>
    private static string Moves(IEnumerable<InferenceReplica> replicas, long from, TimeSpan window)
    {
        var to = from + Ticks(window);
        var moves = replicas.SelectMany(r => r.Moves).Where(m => m.At >= from && m.At < to).OrderBy(m => m.At)
            .Select(m => $"+{BenchText.Seconds(Stopwatch.GetElapsedTime(from, m.At))} {m.Line}").ToList();
        return moves.Count == 0 ? "no partition moved" : "partition moves (as the replicas print them): " + string.Join("; ", moves);
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms until <paramref name="until"/>; returns how long it took to first hold, null if it never did.</summary>
    private static async Task<TimeSpan?> WatchAsync(Func<bool> condition, long until, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        TimeSpan? held = null;
        while (Stopwatch.GetTimestamp() < until)
        {
            if (held is null && condition()) held = Stopwatch.GetElapsedTime(start);
            await Task.Delay(50, cancellationToken);
        }
        return held;
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static string Seconds(TimeSpan? span) => span is null ? "never (within the window)" : BenchText.Seconds(span);
}
