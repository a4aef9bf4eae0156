using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Jobs.Inference;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>What a model version swap costs a paced stream through an in-process engine (<c>bench incremental</c>'s second table).</summary>
internal sealed partial class InferenceBenchmark
{
    /// <param name="Swaps">New versions published, one after another.</param>
    /// <param name="Every">Between two publications.</param>
    /// <param name="Quiet">The stream's windows without swaps, half before the first and half after the last.</param>
    internal sealed record SwapSettings(int Swaps, TimeSpan Every, int Rate, int Partitions, int MaxBatch, TimeSpan PollInterval, TimeSpan Quiet);

    /// <summary>One swap, in ms from its publication: its weights asked for (the poll's wait), swapped in, its first output read.</summary>
    internal sealed record Swap(int Version, double? Asked, double? Swapped, double? FirstOutput);

    /// <summary>The report's lines, the swaps, and the figures the targets take.</summary>
    internal sealed record SwapResult(
        IReadOnlyList<string> Lines, IReadOnlyList<Swap> Swaps, int EngineSwaps, int Lost, long Duplicates, double? QuietP99, double? PhaseP99, double? AroundP99, IReadOnlyList<string> Refusals);

    /// <summary>How long before a version's weights are asked for, and after its first output, a message counts as sent around its swap.</summary>
    private static readonly TimeSpan AroundSwap = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// An engine in this process serving the HCOPD MLP, version 1, to a paced stream, with a <see cref="VersionFollower"/>
    /// asking an in-memory portal (<see cref="VersionPortal"/>) every <see cref="SwapSettings.PollInterval"/>, as a replica
    /// does; <see cref="SwapSettings.Swaps"/> new versions (the same script, other seeded weights) are published one after
    /// another, between a quiet window before and one after.
    /// </summary>
    internal static async Task<SwapResult> MeasureVersionSwapsAsync(SwapSettings settings, BenchBroker broker, string work, CancellationToken cancellationToken)
    {
        TorchNative.EnsureLoadable();
        torch.set_num_threads(1);
        var versions = settings.Swaps + 1;
        var scaler = new FeatureScaler([0.5f, 60f, 2f], [0.5f, 10f, 0.8f]);
        var loader = await ModelLoader.CompileAsync(Hcopd.Script, "cross_entropy", cancellationToken);
        var weights = await SeededWeightsAsync(work, versions, cancellationToken);
        var served = new ServedModel(await loader.LoadAsync(weights[0], scaler, cancellationToken), 1);

        var (input, outputTopic) = NewTopics(broker, settings.Partitions, "swap");
        var swappedAt = new long[versions + 1];
        var engineSwaps = 0;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var engine = new InferenceEngine(served, new RawDecoder(new RawFormatConfig()), new InferenceEngineOptions
        {
            BootstrapServers = broker.BootstrapServers,
            InputTopic = input,
            OutputTopic = outputTopic,
            ConsumerGroup = $"bench-swap-{Guid.NewGuid():N}",
            ModelName = "hcopd",
            MaxBatch = settings.MaxBatch,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = engine.RunAsync(new CallbackProgress(p =>
        {
            if (p.Assignment.Count == settings.Partitions) ready.TrySetResult();
            if (p.Kind != InferenceProgressKind.VersionSwapped || p.ModelVersion is not { } to) return;
            Interlocked.Increment(ref engineSwaps);
            if (to >= 1 && to <= versions) Interlocked.CompareExchange(ref swappedAt[to], Stopwatch.GetTimestamp(), 0);
        }), stop.Token);
        await Console.Error.WriteLineAsync("swaps: engine in this process, waiting for its partitions");
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);

        var portal = new VersionPortal(1, weights, JsonNode.Parse(scaler.ToJson())!.AsObject());
        using var client = new InferencePortalClient(VersionPortal.Address, 1, token: null, portal);
        var replica = new ReplicaLines();
        var following = Task.Run(() => new VersionFollower(client, loader, served, engine.Stats, replica, "0", NullLogger.Instance)
            .RunAsync(settings.PollInterval, stop.Token), cancellationToken);

        var firstOutput = new long[versions + 1];
        var half = settings.Quiet / 2;
        var phase = settings.Every * settings.Swaps;
        var capacity = (int)Math.Ceiling(settings.Rate * (WarmUp + settings.Quiet + phase + Gap * 2 + TimeSpan.FromSeconds(5)).TotalSeconds);
        using var stream = new PacedStream(broker.BootstrapServers, input, outputTopic, InputMessages(null), settings.Rate, capacity, (value, at) =>
        {
            if (PredictionMessage.Parse(value).ModelVersion is { } v && v >= 1 && v <= versions) Interlocked.CompareExchange(ref firstOutput[v], at, 0);
        });
        stream.Start();
        var start = Stopwatch.GetTimestamp();
        var quietBefore = start + Ticks(WarmUp);
        var swapsFrom = quietBefore + Ticks(half + Gap); // so no window around a swap reaches back into the quiet one
        var published = new long[versions + 1];
        await Console.Error.WriteLineAsync(FormattableString.Invariant($"swaps: {settings.Rate} msg/s; quiet {half.TotalSeconds:0.#} s, then {settings.Swaps} versions every {settings.Every.TotalSeconds:0.###} s, then quiet {half.TotalSeconds:0.#} s"));
        for (var v = 2; v <= versions; v++)
        {
            await PacedStream.UntilAsync(swapsFrom + Ticks(settings.Every * (v - 2)), cancellationToken);
            published[v] = portal.Publish(v);
        }
        var swapsTo = swapsFrom + Ticks(phase);
        var quietAfter = swapsTo + Ticks(Gap);
        await PacedStream.UntilAsync(quietAfter + Ticks(half), cancellationToken);
        await stream.StopAsync(Drain, cancellationToken);
        await stop.CancelAsync();
        await following;
        await run;
        served.Dispose();

        var swaps = Enumerable.Range(2, settings.Swaps).Select(v => new Swap(v,
            Since(published[v], portal.WeightsAsked(v) ?? 0), Since(published[v], swappedAt[v]), Since(published[v], firstOutput[v]))).ToList();
        var around = Enumerable.Range(2, settings.Swaps).SelectMany(v =>
        {
            var from = (portal.WeightsAsked(v) ?? published[v]) - Ticks(AroundSwap);
            var to = firstOutput[v] > 0 ? firstOutput[v] + Ticks(AroundSwap) : published[v] + Ticks(settings.Every);
            return stream.SentBetween(from, Stopwatch.GetElapsedTime(from, to));
        }).Distinct();
        var windows = new[]
        {
            stream.Cut(FormattableString.Invariant($"no swaps ({half.TotalSeconds:0.#} s before + {half.TotalSeconds:0.#} s after)"), stream.SentBetween(quietBefore, half).Concat(stream.SentBetween(quietAfter, half))),
            stream.Cut(FormattableString.Invariant($"swap phase ({settings.Swaps} swaps, one every {settings.Every.TotalSeconds:0.###} s)"), stream.SentBetween(swapsFrom, phase)),
            stream.Cut(FormattableString.Invariant($"around swaps (load - {AroundSwap.TotalMilliseconds:0} ms .. 1st output + {AroundSwap.TotalMilliseconds:0} ms)"), around),
            stream.Cut("whole stream (warm-up included)", Enumerable.Range(0, stream.Count)),
        };
        var lines = SwapLines(settings, windows, swaps);
        lines.Add(SlowestNote(stream, stream.SentBetween(swapsFrom, phase), around.ToHashSet(), firstOutput));
        return new SwapResult(lines, swaps, engineSwaps, windows[^1].Lost, windows[^1].Duplicates,
            windows[0].Latency?.P99, windows[1].Latency?.P99, windows[2].Latency?.P99, replica.Refusals);
    }

    /// <summary>The weights of <paramref name="count"/> versions: the HCOPD script built with seeds 1..count, saved as TorchSharp files.</summary>
    private static async Task<IReadOnlyList<string>> SeededWeightsAsync(string work, int count, CancellationToken cancellationToken)
    {
        var compilation = await KafkaMl.Core.Scripting.ModelBuilder.CompileAsync(Hcopd.Script, compiler: null, cancellationToken);
        var files = new List<string>();
        for (var v = 1; v <= count; v++)
        {
            var definition = await KafkaMl.Core.Scripting.ModelBuilder.BuildAsync(compilation, seed: v, cancellationToken);
            using var module = definition.Module;
            var path = Path.Combine(work, $"hcopd-v{v}.weights");
            ModelWeights.Save(module, path);
            files.Add(path);
        }
        return files;
    }

    /// <summary>
    /// Where the swap phase's slowest 1% were sent: around a swap (the swap's doing) or between swaps, and then how long
    /// after the last version's first output (what else ran then: the machine, the follower's polls).
    /// </summary>
    private static string SlowestNote(PacedStream stream, IEnumerable<int> phase, HashSet<int> around, long[] firstOutput)
    {
        var timed = phase.Select(i => (Index: i, stream.Of(i).Milliseconds)).Where(m => m.Milliseconds is not null).OrderByDescending(m => m.Milliseconds).ToList();
        var slowest = timed.Take(Math.Max(1, timed.Count / 100)).ToList();
        if (slowest.Count == 0) return "  the swap phase had no answered message";
        var outside = slowest.Where(m => !around.Contains(m.Index)).ToList();
        var after = outside.Select(m => firstOutput.Where(t => t > 0 && t <= stream.SentAt(m.Index)).DefaultIfEmpty().Max() is var last and > 0
            ? Stopwatch.GetElapsedTime(last, stream.SentAt(m.Index)).TotalMilliseconds : (double?)null).OfType<double>().Order().ToList();
        return string.Create(CultureInfo.InvariantCulture,
            $"  the swap phase's slowest 1% ({slowest.Count} messages, {Ms(slowest[^1].Milliseconds!.Value)} and over): {slowest.Count - outside.Count} sent around a swap, {outside.Count} between swaps") +
            (after.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({Ms(after[0])} to {Ms(after[^1])} after the previous version's first output)"));
    }

    private static List<string> SwapLines(SwapSettings settings, IReadOnlyList<Window> windows, IReadOnlyList<Swap> swaps)
    {
        var lines = new List<string>
        {
            $"  {"window",-52} {"sent",6} {"answered",9} {"lost",5} {"dup",5} {"p50",10} {"p99",10} {"max",11}",
        };
        lines.AddRange(windows.Select(w => string.Create(CultureInfo.InvariantCulture,
            $"  {w.Name,-52} {w.Sent,6} {w.Answered,9} {w.Lost,5} {w.Duplicates,5} {Figure(w.Latency?.P50),10} {Figure(w.Latency?.P99),10} {Figure(w.Latency?.Max),11}")));
        lines.Add("");
        lines.Add($"  {"swap, ms from published",-34} {"p50",10} {"p99",10} {"max",11}   (nearest rank over {swaps.Count} swaps: below 100, p99 is the slowest)");
        lines.Add(SwapRow("-> weights asked (the poll's wait)", swaps.Select(s => s.Asked)));
        lines.Add(SwapRow("-> swapped in (between batches)", swaps.Select(s => s.Swapped)));
        lines.Add(SwapRow("-> first output carrying it", swaps.Select(s => s.FirstOutput)));
        lines.Add(SwapRow("weights asked -> first output", swaps.Select(s => s.FirstOutput - s.Asked)));
        lines.Add(SwapRow("swapped in -> first output", swaps.Select(s => s.FirstOutput - s.Swapped)));
        return lines;
    }

    private static string SwapRow(string name, IEnumerable<double?> values)
    {
        var present = values.OfType<double>().ToArray();
        var figures = present.Length == 0 ? null : Latency.Of(present, 0);
        return $"  {name,-34} {Figure(figures?.P50),10} {Figure(figures?.P99),10} {Figure(figures?.Max),11}   ({present.Length} measured)";
    }

    private static double? Since(long from, long to) => from > 0 && to > 0 ? Stopwatch.GetElapsedTime(from, to).TotalMilliseconds : null;

    /// <summary>The follower's lines: a refused version is what the report must show.</summary>
    private sealed class ReplicaLines : IInferenceJobOutput
    {
        private readonly List<string> _refusals = [];

        public IReadOnlyList<string> Refusals
        {
            get { lock (_refusals) return [.. _refusals]; }
        }

        public void Line(string line)
        {
            if (line.Contains(" refused model version ", StringComparison.Ordinal)) lock (_refusals) _refusals.Add(line);
        }

        public void Error(string message)
        {
            lock (_refusals) _refusals.Add(message);
        }
    }
}
