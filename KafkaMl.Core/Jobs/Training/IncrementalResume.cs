using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Where an incremental run starts: from nothing, or — for a job started again for the same result (the runner
/// restarted it after a kill) — from the last model version the result published: its weights loaded into the model,
/// its scaler, its samples seen and window count, its monitored metric as the reference, and the next version number.
/// The stream is read on from the position published with that version (<see cref="StreamProgress.ResumeAt"/>) —
/// not from the group's committed offsets, which lag behind it when the job died between publishing and committing —
/// so nothing is skipped and nothing learnt twice.
/// </summary>
/// <param name="From">The version whose weights the model now holds (an indefinite run started again); null: a fresh model.</param>
internal sealed record IncrementalResume(int Version, double? Reference, RunningScaler? Scaler, PublishedModelVersion? From = null)
{
    public static async Task<IncrementalResume> LoadAsync(TrainingRun run, StreamProgress progress, IncrementalSettings incremental, CancellationToken cancellationToken)
    {
        var fresh = new IncrementalResume(0, null, run.Context.StandardizeFeatures ? new RunningScaler() : null);
        if (run.Reporter is not IModelVersionReporter versions || await versions.GetLatestVersionAsync(cancellationToken) is not { } latest) return fresh;
        if (!incremental.Indefinite)
        {
            // A time-limited run commits nothing before it publishes at the stream's end: it starts over, numbering on.
            run.Say($"version {latest.Version} was published earlier; a time-limited run starts over and publishes version {latest.Version + 1}");
            return fresh with { Version = latest.Version };
        }

        var path = Path.Combine(run.Context.WorkDirectory ?? Path.GetTempPath(), $"kafkaml-resume-{run.Context.ResultId}-{Guid.NewGuid():N}.dat");
        try
        {
            await ModelWeights.LoadDownloadedAsync(run.Definition.Module, path, file => versions.DownloadVersionWeightsAsync(latest.Version, file, cancellationToken));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            throw new TrainingJobException($"The job was started again, but the weights of version {latest.Version} it resumes from do not load into the model: {e.Message}", e);
        }

        progress.SamplesSeen = latest.SamplesSeen;
        progress.ResumeAt = latest.StreamOffsets ?? new Dictionary<string, long>();
        progress.Windows = latest.Window;
        progress.DeadLettered = latest.TrainMetrics.TryGetValue(WindowedTrainingLoop.DeadLetteredMetric, out var letters) ? (long)letters : 0;
        var (metric, onValidation) = IncrementalSettings.Split(incremental.MonitoringMetric);
        double? reference = (onValidation ? latest.ValMetrics : latest.TrainMetrics).TryGetValue(metric, out var value) ? value : null;
        var scaler = fresh.Scaler is null || latest.Scaler is null || latest.SamplesSeen == 0
            ? fresh.Scaler
            : RunningScaler.Resume(FeatureScaler.FromJson(latest.Scaler.ToJsonString()), latest.SamplesSeen);
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"resuming from version {latest.Version}: {latest.SamplesSeen} samples seen, {incremental.MonitoringMetric} {(reference is { } r ? r.ToString("0.####", CultureInfo.InvariantCulture) : "unknown")}"));
        return new IncrementalResume(latest.Version, reference, scaler, latest);
    }
}
