using Hangfire;
using Hangfire.Server;
using KafkaMl.Core.Domain;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Hangfire job: starts the replicas of one inference through <see cref="KafkaMl.Core.Orchestration.IJobRunner"/>
/// and marks it <c>deployed</c>. Idempotent — an inference no longer <c>created</c> is left alone, and the runner
/// ignores a start of a workload it already runs — so Hangfire may retry it. When the last attempt fails, the
/// inference is marked <c>failed</c> with the reason.
/// </summary>
public sealed partial class StartInferenceJob(
    KafkaMlDbContext db,
    KafkaMl.Core.Orchestration.IJobRunner runner,
    InferenceOrchestrator orchestrator,
    InferenceMonitor monitor,
    ILogger<StartInferenceJob> logger)
{
    /// <summary>Attempts in all, the first included.</summary>
    public const int Attempts = 3;

    /// <param name="context">Filled by Hangfire (pass null); null is treated as the last attempt.</param>
    [AutomaticRetry(Attempts = Attempts - 1, DelaysInSeconds = [5, 30], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task RunAsync(int inferenceId, PerformContext? context, CancellationToken cancellationToken)
    {
        var inference = await db.Inferences.AsNoTracking()
            .Where(i => i.Id == inferenceId)
            .Select(i => new { i.Status, i.ResultId, i.Replicas })
            .SingleOrDefaultAsync(cancellationToken);
        if (inference is null || inference.Status != InferenceStatus.Created)
        {
            LogNotStarted(inferenceId, inference?.Status.ToName() ?? "deleted");
            return;
        }

        var spec = orchestrator.InferenceJob(inferenceId, inference.ResultId, inference.Replicas);
        try
        {
            await runner.StartAsync(spec, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && (context is null || context.GetJobParameter<int>("RetryCount") >= Attempts - 1))
        {
            LogStartFailed(e, spec.Name);
            if (await db.TryMoveAsync(inferenceId, i => i.Status == InferenceStatus.Created, InferenceStatus.Failed,
                    set => set.SetProperty(i => i.Error, $"The inference replicas could not be started: {e.Message}"), cancellationToken))
                await monitor.NotifyStatusAsync(inferenceId, InferenceStatus.Failed);
            return;
        }

        // Only from created: a replica may already have reported (running), or the inference been stopped or deleted.
        if (await db.TryMoveAsync(inferenceId, i => i.Status == InferenceStatus.Created, InferenceStatus.Deployed, null, cancellationToken))
        {
            LogStarted(spec.Name, spec.Replicas, runner.Kind);
            await monitor.NotifyStatusAsync(inferenceId, InferenceStatus.Deployed);
            return;
        }
        var now = await db.Inferences.AsNoTracking().Where(i => i.Id == inferenceId).Select(i => (InferenceStatus?)i.Status).SingleOrDefaultAsync(cancellationToken);
        if (now is null or InferenceStatus.Stopped or InferenceStatus.Failed)
            await orchestrator.StopWorkloadAsync(inferenceId, cancellationToken); // do not leave replicas running for it
    }

    [LoggerMessage(LogLevel.Debug, "Inference {InferenceId} is {Status}; its replicas are not started")]
    private partial void LogNotStarted(int inferenceId, string status);

    [LoggerMessage(LogLevel.Information, "Started inference workload {Job} with {Replicas} replica(s) on the {Runner} runner")]
    private partial void LogStarted(string job, int replicas, string runner);

    [LoggerMessage(LogLevel.Error, "Starting inference workload {Job} failed on its last attempt")]
    private partial void LogStartFailed(Exception exception, string job);
}
