namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Where a job whose deployment starts from another result's weights (<see cref="Orchestration.TrainingJobSpec.InitialWeightsResultId"/>,
/// fine-tuning) fetches them: the portal (<see cref="Orchestration.PortalClient"/>) or a stand-in in tests.
/// </summary>
public interface IInitialWeightsSource
{
    /// <summary>Writes the starting weights (TorchSharp's file) to <paramref name="path"/>. Asked now, not queued.</summary>
    Task DownloadInitialWeightsAsync(string path, CancellationToken cancellationToken);
}
