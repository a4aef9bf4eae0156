using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using KafkaMl.Core.Jobs.Training;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// One timed run of a <c>bench incremental</c> training contender: <paramref name="Samples"/> trained (and validated) on in
/// <paramref name="Seconds"/>, in <paramref name="Windows"/> windows (batch: one); <paramref name="SetUp"/>, the incremental
/// job's opening of the stream (consumer, metadata, positioning: once per job, not timed).
/// </summary>
internal sealed record IncrementalTrainingRun(long Samples, int Windows, double Seconds, double? SetUp = null)
{
    public double SamplesPerSecond => Samples / Seconds;

    public double WindowsPerSecond => Windows / Seconds;
}

/// <summary>
/// The two contenders of <c>bench incremental</c>'s training table on the same samples and model, one epoch per sample,
/// the same batch size and validation share: "batch", the samples already in memory trained for one epoch
/// (split, standardise, <see cref="Trainer"/>); "incremental", the real training job in incremental mode
/// (<see cref="TrainingJob.RunAsync"/>: <see cref="StreamWindowReader"/>, <see cref="StreamDataSource"/>,
/// <see cref="WindowedTrainingLoop"/>) reading the online stream already produced to its topic.
/// </summary>
/// <param name="samples">The workload's samples, decoded, in send order.</param>
/// <param name="job">The incremental job's context: broker, control topic, Kafka settings and the compiler holding <paramref name="compilation"/>.</param>
internal sealed partial class IncrementalTrainingContenders(ModelCompilation compilation, SampleSet samples, TrainingJobContext job)
{
    /// <summary>The stream timeout of the incremental runs: the job ends this long after the last message (not timed).</summary>
    public const int StreamTimeoutMs = 1000;

    private static int _nextResult = Random.Shared.Next(1_000_000, 2_000_000);

    /// <summary>One epoch over all samples in memory: split off the validation share, standardise, train (validation evaluated once, at the epoch's end).</summary>
    public async Task<IncrementalTrainingRun> RunBatchAsync(TrainingJobSpec spec, CancellationToken cancellationToken)
    {
        Trainer.SeedTorch(spec.Seed);
        var definition = await ModelScriptRunner.BuildAsync(compilation, cancellationToken);
        using var model = definition.Module;
        var (settings, _) = TrainingJob.ResolveSettings(spec with { Epochs = 1, Incremental = null }, definition, IncrementalBenchmark.ValidationRate, 0, TrainingContenders.TorchThreads);
        TrainingContenders.Settle();
        var clock = Stopwatch.StartNew();
        var (split, _) = samples.Split(settings.ValidationRate, 0, settings.Seed).Standardize();
        await Trainer.TrainAsync(model, split.Train, split.Validation, settings, progress: null, cancellationToken);
        clock.Stop();
        return new IncrementalTrainingRun(samples.Count, 1, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The real job in incremental, time-limited mode under a result of its own (so its consumer group starts afresh at the
    /// control message), timed from the stream opened and positioned until the last full window was trained; the last,
    /// partial window (which waits for the stream to go quiet) and the stream timeout are left out, as are the spec, the
    /// model's build, the control-message wait and the stream's opening before (once per job: reported apart).
    /// </summary>
    public async Task<IncrementalTrainingRun> RunIncrementalAsync(TrainingJobSpec spec, CancellationToken cancellationToken)
    {
        var resultId = Interlocked.Increment(ref _nextResult);
        var incremental = spec.Incremental ?? throw new InvalidOperationException("The incremental contender needs an incremental spec.");
        var runSpec = spec with { ResultId = resultId, Epochs = 1 };
        TrainingContenders.Settle();
        var log = new TrainingContenders.StampedLog();
        var outcome = await TrainingJob.RunAsync(job with { ResultId = resultId }, new TrainingContenders.InMemoryReporter(runSpec), log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (outcome.Status != TrainingJobStatus.Finished)
            throw new BenchFailure($"the incremental training job ended {outcome.Status}: {outcome.Error}{Environment.NewLine}{log}");

        var found = log.At(l => l.StartsWith("control message found", StringComparison.Ordinal));
        var opened = log.At(l => l.StartsWith("reading the online stream", StringComparison.Ordinal))
            ?? throw new BenchFailure($"the incremental job's log has no 'reading the online stream' line:{Environment.NewLine}{log}");
        var windows = log.Where(l => WindowLine().IsMatch(l))
            .Select(w => (w.At, Count: int.Parse(WindowLine().Match(w.Line).Groups["count"].Value, CultureInfo.InvariantCulture)))
            .ToList();
        var full = windows.Where(w => w.Count == incremental.WindowSize).ToList();
        if (full.Count == 0) throw new BenchFailure($"the incremental job trained no full window of {incremental.WindowSize} samples:{Environment.NewLine}{log}");
        if (windows.Sum(w => (long)w.Count) != samples.Count)
            throw new BenchFailure($"the incremental job trained on {windows.Sum(w => (long)w.Count)} samples, not the {samples.Count} sent:{Environment.NewLine}{log}");
        return new IncrementalTrainingRun(full.Sum(w => (long)w.Count), full.Count, (full[^1].At - opened).TotalSeconds, (opened - found)?.TotalSeconds);
    }

    /// <summary>The loop's line for a trained window: <c>window 3: 256 samples (230 train, 26 validation), ...</c>.</summary>
    [GeneratedRegex(@"^window \d+: (?<count>\d+) samples \(")]
    private static partial Regex WindowLine();
}
