using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Publishes a trained model as the result's files: TorchSharp's weights and the safetensors (with the scaler, the
/// input shape, the loss and the model's name as metadata), uploaded with the result once every earlier report
/// was delivered.
/// </summary>
public sealed class WeightsPublisher : ITrainingPublisher
{
    public Task PublishAsync(TrainingRun run, TrainedModel trained, CancellationToken cancellationToken) =>
        WithArtifactsAsync(run, trained, async artifacts =>
        {
            await run.ReportsDeliveredAsync();
            run.Say("uploading the result and the weights");
            await run.Reporter.ReportResultAsync(trained.Result, artifacts, cancellationToken);
        });

    /// <summary>
    /// Writes the model's weight files (TorchSharp's and the safetensors with their metadata) and hands them to
    /// <paramref name="upload"/>; a temporary directory is deleted once the upload completed.
    /// </summary>
    internal static async Task WithArtifactsAsync(TrainingRun run, TrainedModel trained, Func<TrainingArtifacts, Task> upload)
    {
        var context = run.Context;
        var ownDirectory = context.WorkDirectory is null;
        var directory = context.WorkDirectory ?? Path.Combine(Path.GetTempPath(), $"kafkaml-train-{context.ResultId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var artifacts = new TrainingArtifacts(Path.Combine(directory, ResultFiles.Weights), Path.Combine(directory, ResultFiles.Safetensors));
            var model = run.Definition.Module;
            ModelWeights.Save(model, artifacts.WeightsPath);
            ModelWeights.ExportSafeTensors(model, artifacts.SafetensorsPath, Metadata(run, trained));
            await upload(artifacts);
        }
        finally
        {
            if (ownDirectory) TryDelete(directory);
        }
    }

    private static Dictionary<string, string> Metadata(TrainingRun run, TrainedModel trained)
    {
        var metadata = new Dictionary<string, string>
        {
            [TrainingJob.ModelMetadataKey] = run.Spec.ModelName,
            [TrainingJob.LossMetadataKey] = run.Settings.Loss.ToName(),
            [TrainingJob.InputShapeMetadataKey] = string.Join(' ', trained.FeatureShape.Select(d => d.ToString(CultureInfo.InvariantCulture))),
        };
        if (trained.Scaler is not null) metadata[TrainingJob.ScalerMetadataKey] = trained.Scaler.ToJson();
        return metadata;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temporary directory left behind is not worth failing a finished job.
        }
    }
}
