using System.Globalization;
using System.Linq.Expressions;
using Hangfire;
using KafkaMl.Core;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Services;

/// <summary>
/// What the deployments and results APIs and the Hangfire jobs share about training jobs: the job's
/// <see cref="JobSpec"/> (verb, arguments, environment with its token), stopping a job, and where a result's files
/// live. Training itself never happens here: jobs run in other processes (<see cref="IJobRunner"/>).
/// </summary>
public sealed partial class TrainingOrchestrator(
    IJobRunner runner,
    JobTokens tokens,
    JobEnvironmentBuilder environment,
    IBackgroundJobClient jobs,
    IOptions<KafkaMlOptions> options,
    ILogger<TrainingOrchestrator> logger)
{
    /// <summary>The verb the training job runs.</summary>
    public const string TrainVerb = "train";

    /// <summary>Where the results' files live, under the data directory: <c>results/&lt;id&gt;/</c>.</summary>
    public const string ResultsFolder = "results";

    public const string WeightsFile = "model.dat";
    public const string SafetensorsFile = "model.safetensors";
    public const string ReportFile = "report.json";

    /// <summary>
    /// The training job of result <paramref name="resultId"/>: <c>train --result &lt;id&gt;</c> with the portal's URL, its
    /// token and the broker's address in the environment.
    /// </summary>
    public JobSpec TrainingJob(int resultId, int deploymentId)
    {
        var id = resultId.ToString(CultureInfo.InvariantCulture);
        return new JobSpec(
            JobSpec.TrainingName(resultId),
            JobKind.Training,
            [TrainVerb, "--result", id],
            environment.For(tokens.ForTraining(resultId)),
            Labels: new Dictionary<string, string>
            {
                ["kafkaml/kind"] = "training",
                ["kafkaml/result-id"] = id,
                ["kafkaml/deployment-id"] = deploymentId.ToString(CultureInfo.InvariantCulture),
            });
    }

    /// <summary>Enqueues the Hangfire job that starts result <paramref name="resultId"/>'s training job.</summary>
    public string EnqueueStart(int resultId) =>
        jobs.Enqueue<StartTrainingJob>(job => job.RunAsync(resultId, null, CancellationToken.None));

    /// <summary>
    /// Stops result <paramref name="resultId"/>'s training job now; when the runner fails, a Hangfire job retries the
    /// stop so no job is left running. Never throws for a runner failure.
    /// </summary>
    public async Task StopJobAsync(int resultId, CancellationToken cancellationToken)
    {
        var name = JobSpec.TrainingName(resultId);
        try
        {
            await runner.StopAsync(name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStopRetried(e, name);
            jobs.Enqueue<StopTrainingWorkloadJob>(job => job.RunAsync(name, CancellationToken.None));
        }
    }

    /// <summary>The directory holding result <paramref name="resultId"/>'s weights and report.</summary>
    public string ResultDirectory(int resultId) =>
        Path.Combine(options.Value.DataDirFullPath, ResultsFolder, resultId.ToString(CultureInfo.InvariantCulture));

    /// <summary><see cref="TrainingResult.WeightsPath"/> of a finished result: relative to the data directory.</summary>
    public static string RelativeWeightsPath(int resultId) =>
        string.Join('/', ResultsFolder, resultId.ToString(CultureInfo.InvariantCulture), WeightsFile);

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

    [LoggerMessage(LogLevel.Warning, "Stopping training job {Job} failed; a background job retries it")]
    private partial void LogStopRetried(Exception exception, string job);

    [LoggerMessage(LogLevel.Warning, "Could not remove the result files in {Directory}")]
    private partial void LogDeleteFailed(Exception exception, string directory);
}

/// <summary>
/// Status changes of training results as single conditional <c>UPDATE</c>s, so concurrent writers (a job's report,
/// a stop, reconcile) never overwrite a later status: a change applies only if the row is still in an allowed
/// status, and the caller learns whether it did.
/// </summary>
public static class TrainingResultUpdates
{
    /// <summary>Results whose status may still change (created, deployed, training).</summary>
    public static readonly Expression<Func<TrainingResult, bool>> NotFinal = r =>
        r.Status != TrainingStatus.Finished && r.Status != TrainingStatus.Failed && r.Status != TrainingStatus.Stopped;

    /// <summary>Results whose job should be running (deployed, training).</summary>
    public static readonly Expression<Func<TrainingResult, bool>> Active = r =>
        r.Status == TrainingStatus.Deployed || r.Status == TrainingStatus.Training;

    /// <summary>
    /// Sets result <paramref name="resultId"/> to <paramref name="status"/> (and <see cref="TrainingResult.StatusChanged"/>
    /// to now) if it matches <paramref name="allowed"/>; <paramref name="more"/> sets further columns in the same
    /// statement. True when the row changed.
    /// </summary>
    public static async Task<bool> TryMoveAsync(
        this KafkaMlDbContext db,
        int resultId,
        Expression<Func<TrainingResult, bool>> allowed,
        TrainingStatus status,
        Action<UpdateSettersBuilder<TrainingResult>>? more,
        CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var rows = await db.TrainingResults
            .Where(r => r.Id == resultId)
            .Where(allowed)
            .ExecuteUpdateAsync(set =>
            {
                set.SetProperty(r => r.Status, status);
                set.SetProperty(r => r.StatusChanged, now);
                more?.Invoke(set);
            }, cancellationToken);
        return rows == 1;
    }

    /// <summary>Marks the result failed with <paramref name="error"/> unless its status is already final.</summary>
    public static Task<bool> TryFailAsync(this KafkaMlDbContext db, int resultId, string error, CancellationToken cancellationToken) =>
        db.TryMoveAsync(resultId, NotFinal, TrainingStatus.Failed, set => set.SetProperty(r => r.Error, error), cancellationToken);
}
