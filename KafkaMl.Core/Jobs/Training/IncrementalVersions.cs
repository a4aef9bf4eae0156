using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// The versioning rule of incremental training, for every loop that trains an open stream: an indefinite run
/// publishes its first model with the monitored metric as version 1 and makes the metric the reference; a later model
/// becomes the next version when it improves on the reference by <see cref="IncrementalSettings.Improvement"/> in the
/// direction of <see cref="IncrementalSettings.Change"/> (and becomes the reference). A time-limited run publishes once,
/// when its stream ended. Each version carries the stream's position it was trained to
/// (<see cref="StreamProgress.Position"/>), which a job started again resumes from; the group's offsets are also
/// committed right after it (<see cref="StreamProgress.Checkpoint"/>), for lag tools and versions without a position.
/// </summary>
internal sealed class IncrementalVersions(IncrementalSettings incremental, StreamProgress progress, int version, double? reference)
{
    /// <summary>The last version published (0 before the first).</summary>
    public int Version { get; private set; } = version;

    /// <summary>
    /// Whether a model with these metrics becomes a version now: an indefinite run's first with the monitored metric,
    /// or one that improves on the reference (it then becomes the reference, and the line saying so is logged).
    /// </summary>
    public bool Improves(TrainingRun run, IReadOnlyDictionary<string, double> train, IReadOnlyDictionary<string, double> validation)
    {
        if (!incremental.Indefinite) return false;
        var (metric, onValidation) = IncrementalSettings.Split(incremental.MonitoringMetric);
        var monitored = (onValidation ? validation : train).TryGetValue(metric, out var value) && double.IsFinite(value) ? value : (double?)null;
        if (monitored is null || (reference is { } before && !WindowedTrainingLoop.Improves(monitored.Value, before, incremental))) return false;
        run.Say(reference is { } previous
            ? string.Create(CultureInfo.InvariantCulture, $"{incremental.MonitoringMetric} improved from {previous:0.####} to {monitored:0.####}")
            : string.Create(CultureInfo.InvariantCulture, $"{incremental.MonitoringMetric} {monitored:0.####} is the reference"));
        reference = monitored;
        return true;
    }

    /// <summary>Publishes <paramref name="trained"/> as the next version, then commits the stream's offsets read so far.</summary>
    public async Task PublishAsync(TrainingRun run, ITrainingPublisher publisher, TrainedModel trained, CancellationToken cancellationToken)
    {
        var result = trained.Result;
        var numbered = trained with
        {
            Version = new ModelVersionReport(++Version, progress.SamplesSeen, result.TrainMetrics, result.ValMetrics, null, result.Scaler, progress.Position?.Invoke()),
        };
        await publisher.PublishAsync(run, numbered, cancellationToken);
        if (progress.Checkpoint is { } checkpoint) await Task.Run(checkpoint, cancellationToken);
    }
}
