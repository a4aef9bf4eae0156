namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Publishes a model of an incremental run as the model version it carries (<see cref="TrainedModel.Version"/>):
/// weights, safetensors, scaler, metrics and samples seen, through <see cref="IModelVersionReporter"/>. A
/// time-limited run publishes once, when its stream ended: then the model also becomes the result (uploaded as a
/// bounded run's is), so the result finishes with it.
/// </summary>
public sealed class VersionPublisher : ITrainingPublisher
{
    public Task PublishAsync(TrainingRun run, TrainedModel trained, CancellationToken cancellationToken)
    {
        var version = trained.Version ?? throw new InvalidOperationException("An incremental run publishes model versions; this model has no version number.");
        if (run.Reporter is not IModelVersionReporter versions)
            throw new TrainingJobException("This job's reporter cannot publish model versions, which an incremental training needs.");
        var ends = StreamDataSource.Settings(run) is { Indefinite: false };
        return WeightsPublisher.WithArtifactsAsync(run, trained, async artifacts =>
        {
            await run.ReportsDeliveredAsync();
            run.Say($"publishing model version {version.Version} ({version.SamplesSeen} samples seen)");
            await versions.PublishVersionAsync(version, artifacts, cancellationToken);
            if (!ends) return;
            run.Say("uploading the result and the weights");
            await run.Reporter.ReportResultAsync(trained.Result, artifacts, cancellationToken);
        });
    }
}
