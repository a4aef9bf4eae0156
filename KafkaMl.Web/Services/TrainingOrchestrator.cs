using System.Globalization;
using Hangfire;
using KafkaMl.Core;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Jobs;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Services;

/// <summary>
/// What the deployments and results APIs decide about training jobs: enqueue a result's start, stop its job, and
/// where its files live. The Hangfire jobs do the rest through the runner (<see cref="StartWorkloadJob"/>,
/// <see cref="TrainingWorkload"/>); training itself never happens here: jobs run in other processes
/// (<see cref="IJobRunner"/>).
/// </summary>
public sealed partial class TrainingOrchestrator(
    IJobRunner runner,
    IBackgroundJobClient jobs,
    IOptions<KafkaMlOptions> options,
    ILogger<TrainingOrchestrator> logger)
{
    /// <summary>Enqueues the Hangfire job that starts result <paramref name="resultId"/>'s training job.</summary>
    public string EnqueueStart(int resultId) =>
        jobs.Enqueue<StartWorkloadJob>(job => job.RunAsync(resultId, JobKind.Training, null, CancellationToken.None));

    /// <summary>
    /// Stops result <paramref name="resultId"/>'s training job now; when the runner fails, a Hangfire job retries the
    /// stop so no job is left running. Never throws for a runner failure.
    /// </summary>
    public Task StopJobAsync(int resultId, CancellationToken cancellationToken) =>
        runner.StopOrRetryAsync(JobSpec.TrainingName(resultId), jobs, logger, cancellationToken);

    /// <summary>The directory holding result <paramref name="resultId"/>'s weights and report.</summary>
    public string ResultDirectory(int resultId) =>
        Path.Combine(options.Value.DataDirFullPath, ResultFiles.ResultsFolder, resultId.ToString(CultureInfo.InvariantCulture));

    /// <summary><see cref="TrainingResult.WeightsPath"/> of a finished result: relative to the data directory.</summary>
    public static string RelativeWeightsPath(int resultId) => $"{ResultFiles.RelativeFolder(resultId)}/{ResultFiles.Weights}";

    /// <summary>Removes result <paramref name="resultId"/>'s files, if any (best effort).</summary>
    public void DeleteResultFiles(int resultId)
    {
        var directory = ResultDirectory(resultId);
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogDeleteFailed(e, directory);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not remove the result files in {Directory}")]
    private partial void LogDeleteFailed(Exception exception, string directory);
}
