using System.Globalization;
using System.Text.Json.Nodes;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Trains an open stream window by window: each window is split into train and validation by the control message's
/// <c>validation_rate</c> (seeded per window), standardised with a <see cref="RunningScaler"/> (fitted on the first
/// window's training share, then updated as a running mean and variance), trained for
/// <see cref="IncrementalSettings.EpochsPerWindow"/> epochs, and reported as one point of the result's charts.
/// </summary>
/// <remarks>
/// <para><b>Charts</b>: a window is reported as an epoch (the epoch number is the window number), its training
/// metrics carrying <see cref="SamplesSeenMetric"/> (the x the issue asks for, charted beside the others) and
/// <see cref="DeadLetteredMetric"/> (undecodable messages so far: the count the result keeps).</para>
/// <para><b>Versions</b>: an indefinite run publishes the first window's model as version 1 and makes its monitored
/// metric the reference; every window that improves on the reference by at least
/// <see cref="IncrementalSettings.Improvement"/> in the direction of <see cref="IncrementalSettings.Change"/> is
/// published as the next version and becomes the reference. A window without the metric (e.g. no validation share)
/// is trained on but compared with nothing. A time-limited run publishes one version, when its stream ends.</para>
/// <para><b>Offsets</b> are committed once a version trained on them was published (<see cref="StreamProgress.Checkpoint"/>):
/// the committed offsets and the last version are the run's checkpoint, which a job started again for the same result
/// resumes from (<see cref="IncrementalResume"/>), so its samples seen go on from the version's and the windows read
/// since then are trained on again from the version's weights. (Committing after every window instead would resume
/// from weights that never learnt the windows between.)</para>
/// </remarks>
public sealed class WindowedTrainingLoop(StreamProgress progress) : ITrainingLoop
{
    /// <summary>Training metric of a window's report: the stream samples trained and validated on so far.</summary>
    public const string SamplesSeenMetric = "samples_seen";

    /// <summary>Training metric of a window's report: the stream's messages dead-lettered so far.</summary>
    public const string DeadLetteredMetric = "dead_lettered";

    public async Task<TrainingResultReport> RunAsync(
        TrainingRun run, IAsyncEnumerable<SampleSet> data, ITrainingPublisher publisher, CancellationToken cancellationToken)
    {
        var incremental = StreamDataSource.Settings(run);
        var settings = run.Settings with { Epochs = incremental.EpochsPerWindow, EarlyStopping = null };
        var model = run.Definition.Module;
        run.Say(FormattableString.Invariant(
            $"incremental training: windows of {incremental.WindowSize} samples, {incremental.EpochsPerWindow} epochs each, validation rate {settings.ValidationRate}; ")
            + (incremental.Indefinite
                ? FormattableString.Invariant($"a new version whenever {incremental.MonitoringMetric} improves by {incremental.Improvement} ({incremental.Change.ToString().ToLowerInvariant()}), until stopped")
                : FormattableString.Invariant($"publishing when no message came for {incremental.StreamTimeoutMs} ms")));

        var resume = await IncrementalResume.LoadAsync(run, progress, incremental, cancellationToken);
        var versions = new IncrementalVersions(incremental, progress, resume.Version, resume.Reference);
        var scaler = resume.Scaler;
        var seconds = 0.0;
        TrainedModel? last = null;
        await foreach (var window in data.WithCancellation(cancellationToken))
        {
            var number = progress.Windows;
            var split = SplitWindow(window, settings.ValidationRate, settings.Seed + number);
            scaler?.Update(split.Train);
            var current = scaler?.ToScaler();
            var (train, validation) = current is null ? (split.Train, split.Validation) : (current.Transform(split.Train), current.Transform(split.Validation));
            var outcome = await Trainer.TrainAsync(model, train, validation, settings with { Seed = settings.Seed + number }, null, cancellationToken);
            seconds += outcome.TrainingSeconds;

            var trainMetrics = new Dictionary<string, double>(outcome.TrainMetrics)
            {
                [SamplesSeenMetric] = progress.SamplesSeen,
                [DeadLetteredMetric] = progress.DeadLettered,
            };
            var validationMetrics = outcome.ValidationMetrics;
            run.Say(FormattableString.Invariant(
                $"window {number}: {window.Count} samples ({train.Count} train, {validation.Count} validation), {progress.SamplesSeen} seen, {progress.DeadLettered} dead-lettered; ")
                + TrainingLog.Describe(outcome.TrainMetrics, "") + (validationMetrics.Count > 0 ? " " + TrainingLog.Describe(validationMetrics, "val_") : ""));
            run.Report((reporter, ct) => reporter.ReportEpochAsync(new EpochReportDto(number, trainMetrics, validationMetrics), ct), cancellationToken);

            var result = new TrainingResultReport(trainMetrics, validationMetrics, new Dictionary<string, double>(), null, seconds,
                current is null ? null : JsonNode.Parse(current.ToJson())!.AsObject());
            last = new TrainedModel(result, current, window.FeatureShape);
            if (versions.Improves(run, outcome.TrainMetrics, validationMetrics)) await versions.PublishAsync(run, publisher, last, cancellationToken);
        }

        if (last is null) throw new TrainingJobException($"The online stream {run.Control.Topic} brought no sample to train on.");
        if (!incremental.Indefinite) await versions.PublishAsync(run, publisher, last, cancellationToken);
        return last.Result;
    }

    /// <summary>Whether <paramref name="value"/> improves on <paramref name="reference"/> by the deployment's improvement, in its direction.</summary>
    public static bool Improves(double value, double reference, IncrementalSettings settings) => settings.Change == MetricChange.Up
        ? value >= reference + settings.Improvement
        : value <= reference - settings.Improvement;

    /// <summary>The window's train and validation shares; a window too small to spare a validation sample is all training.</summary>
    private static SampleSplit SplitWindow(SampleSet window, double validationRate, int seed)
    {
        return Math.Round(window.Count * validationRate, MidpointRounding.AwayFromZero) >= window.Count
            ? window.Split(0, 0, seed)
            : window.Split(validationRate, 0, seed);
    }
}
