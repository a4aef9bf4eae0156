using KafkaMl.Core.Orchestration;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Where a <see cref="TrainingJob"/> gets its spec and sends what it reports — the portal, over HTTP
/// (<see cref="PortalClient"/>), or an in-memory stand-in in tests.
/// </summary>
/// <remarks>
/// Reports are delivered in the order they were made, each at most once as far as the reporter can tell
/// (a retry after a lost answer may repeat one; the portal treats repeats idempotently). A report method
/// queues the report and returns a task that completes once it was delivered, so the job never waits
/// for the portal while it trains. The task fails with <see cref="TrainingResultClosedException"/> when the
/// portal no longer accepts reports for the result (the job then stops), or with
/// <see cref="TrainingReportException"/> when the report cannot be delivered (the job then fails).
/// </remarks>
public interface ITrainingReporter
{
    /// <summary>The job's spec: the model script and the deployment's settings.</summary>
    Task<TrainingJobSpec> GetSpecAsync(CancellationToken cancellationToken);

    /// <summary>Reports <c>deployed</c> (waiting for data), <c>training</c> (with the data found) or <c>failed</c> (with the reason).</summary>
    Task ReportStatusAsync(TrainingStatusReport report, CancellationToken cancellationToken);

    /// <summary>Reports one finished epoch.</summary>
    Task ReportEpochAsync(EpochReportDto report, CancellationToken cancellationToken);

    /// <summary>Uploads the final metrics and the weight files; the files must stay until the task completes.</summary>
    Task ReportResultAsync(TrainingResultReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken);
}

/// <summary>
/// A reporter that can also publish model versions while the job trains (<see cref="PortalClient"/>): what an
/// incremental training needs besides <see cref="ITrainingReporter"/>. Delivered in order with the other reports.
/// </summary>
public interface IModelVersionReporter
{
    /// <summary>Publishes version <see cref="ModelVersionReport.Version"/> (numbered from 1 without gaps); the files must stay until the task completes.</summary>
    Task PublishVersionAsync(ModelVersionReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken);

    /// <summary>The last version the result published, or null when none: what a job started again resumes from. Asked now, not queued.</summary>
    Task<PublishedModelVersion?> GetLatestVersionAsync(CancellationToken cancellationToken);

    /// <summary>Writes the weights (TorchSharp's file) of published version <paramref name="version"/> to <paramref name="path"/>.</summary>
    Task DownloadVersionWeightsAsync(int version, string path, CancellationToken cancellationToken);
}

/// <summary>
/// A reporter that also records self-training rounds (<see cref="PortalClient"/>): what a semi-supervised training needs
/// besides <see cref="ITrainingReporter"/>. Delivered in order with the other reports.
/// </summary>
public interface ISelfTrainingReporter
{
    /// <summary>Records one round (<c>POST .../self-training</c>).</summary>
    Task ReportSelfTrainingRoundAsync(SelfTrainingRoundReport report, CancellationToken cancellationToken);
}

/// <summary>The files a training job uploads with its result.</summary>
/// <param name="WeightsPath">TorchSharp's own weights file (<c>module.save</c>).</param>
/// <param name="SafetensorsPath">The same weights as safetensors, with the feature scaler in the metadata.</param>
public sealed record TrainingArtifacts(string WeightsPath, string SafetensorsPath);

/// <summary>
/// The portal no longer accepts reports for this result (409: it was stopped, or is already finished or failed):
/// the job stops without reporting anything else.
/// </summary>
public sealed class TrainingResultClosedException(string message) : Exception(message);

/// <summary>A report could not be delivered: the portal refused it, or could not be reached in time.</summary>
public sealed class TrainingReportException : Exception
{
    public TrainingReportException(string message, int? statusCode, bool canReportFailure, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        CanReportFailure = canReportFailure;
    }

    /// <summary>The portal's HTTP status, or null when it could not be reached.</summary>
    public int? StatusCode { get; }

    /// <summary>
    /// False when reporting <c>failed</c> would not get through either (the token was refused, the result is
    /// unknown, the portal is unreachable); true when only this report was rejected.
    /// </summary>
    public bool CanReportFailure { get; }
}
