using Hangfire;
using Hangfire.Server;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Hangfire job: starts the training job of one result through <see cref="IJobRunner"/> and marks the result
/// <c>deployed</c>. Idempotent — a result that is no longer <c>created</c> is left alone, and the runner ignores a
/// start of a job it already runs — so Hangfire may retry it. When the last attempt fails, the result is marked
/// <c>failed</c> with the reason instead of staying <c>created</c>.
/// </summary>
public sealed partial class StartTrainingJob(
    KafkaMlDbContext db,
    IJobRunner runner,
    TrainingOrchestrator orchestrator,
    ResultsNotifier notifier,
    ILogger<StartTrainingJob> logger)
{
    /// <summary>Attempts in all, the first included.</summary>
    public const int Attempts = 3;

    /// <param name="context">Filled by Hangfire (pass null); null is treated as the last attempt.</param>
    [AutomaticRetry(Attempts = Attempts - 1, DelaysInSeconds = [5, 30], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task RunAsync(int resultId, PerformContext? context, CancellationToken cancellationToken)
    {
        var result = await db.TrainingResults.AsNoTracking()
            .Where(r => r.Id == resultId)
            .Select(r => new { r.Status, r.DeploymentId })
            .SingleOrDefaultAsync(cancellationToken);
        if (result is null)
        {
            LogGone(resultId);
            return;
        }
        if (result.Status != TrainingStatus.Created)
        {
            LogAlreadyStarted(resultId, result.Status.ToName());
            return;
        }

        var spec = orchestrator.TrainingJob(resultId, result.DeploymentId);
        try
        {
            await runner.StartAsync(spec, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && IsLastAttempt(context))
        {
            LogStartFailed(e, spec.Name);
            if (await db.TryFailAsync(resultId, $"The training job could not be started: {e.Message}", cancellationToken))
                await notifier.NotifyStatusAsync(resultId, result.DeploymentId, TrainingStatus.Failed);
            return;
        }

        // Only from created: the job may already have reported deployed or training itself, or been stopped.
        if (await db.TryMoveAsync(resultId, r => r.Status == TrainingStatus.Created, TrainingStatus.Deployed, more: null, cancellationToken))
        {
            LogStarted(spec.Name, runner.Kind);
            await notifier.NotifyStatusAsync(resultId, result.DeploymentId, TrainingStatus.Deployed);
            return;
        }

        var now = await db.TrainingResults.AsNoTracking()
            .Where(r => r.Id == resultId)
            .Select(r => (TrainingStatus?)r.Status)
            .SingleOrDefaultAsync(cancellationToken);
        if (now is null or TrainingStatus.Stopped or TrainingStatus.Failed)
        {
            // Stopped or deleted while the job was being started: do not leave it running.
            await orchestrator.StopJobAsync(resultId, cancellationToken);
        }
    }

    private static bool IsLastAttempt(PerformContext? context) =>
        context is null || context.GetJobParameter<int>("RetryCount") >= Attempts - 1;

    [LoggerMessage(LogLevel.Information, "Result {ResultId} no longer exists; its training job is not started")]
    private partial void LogGone(int resultId);

    [LoggerMessage(LogLevel.Debug, "Result {ResultId} is already {Status}; its training job is not started again")]
    private partial void LogAlreadyStarted(int resultId, string status);

    [LoggerMessage(LogLevel.Information, "Started training job {Job} with the {Runner} runner")]
    private partial void LogStarted(string job, string runner);

    [LoggerMessage(LogLevel.Error, "Starting training job {Job} failed on its last attempt")]
    private partial void LogStartFailed(Exception exception, string job);
}
