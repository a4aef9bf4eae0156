using Hangfire;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Recurring Hangfire job (every 15 s, and once at start): keeps the statuses of <c>deployed</c> and <c>running</c>
/// inferences true to their replicas. Replicas reporting stats make a deployed inference running; a workload the
/// runner reports failed, one that ended (a service never should), or one it no longer knows past
/// <see cref="OrchestrationOptions.UnknownJobGrace"/> (the portal restarted, the Deployment was removed) marks the
/// inference failed with the runner's reason and the end of the replicas' log. Every change is conditional, so a
/// stop arriving meanwhile wins.
/// </summary>
public sealed partial class ReconcileInferenceJob(
    KafkaMlDbContext db,
    IJobRunner runner,
    InferenceMonitor monitor,
    IOptions<OrchestrationOptions> options,
    ILogger<ReconcileInferenceJob> logger)
{
    public const string RecurringId = "reconcile-inference";

    /// <summary>Every 15 seconds (Hangfire's six-part cron, seconds first).</summary>
    public const string Schedule = "*/15 * * * * *";

    /// <summary>Lines of the replicas' log kept with the reason of a failure.</summary>
    public const int LogTailLines = 20;

    [AutomaticRetry(Attempts = 0)] // the next run retries anyway
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var active = await db.Inferences.AsNoTracking()
            .Where(InferenceUpdates.Active)
            .OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.Status, i.StatusChanged })
            .ToListAsync(cancellationToken);

        foreach (var inference in active)
        {
            var name = JobSpec.InferenceName(inference.Id);
            if (await runner.TryGetStateAsync(name, logger, cancellationToken) is not { } state) continue;

            var reason = state.Phase switch
            {
                JobPhase.Failed => $"The inference replicas failed: {state.Reason ?? (state.ExitCode is { } code ? $"exit code {code}" : "the runner gave no reason")}",
                JobPhase.Succeeded => "The inference replicas ended; a service should run until stopped.",
                JobPhase.Unknown when DateTimeOffset.UtcNow - inference.StatusChanged > options.Value.UnknownJobGrace =>
                    "The inference replicas are gone: the job runner no longer knows them (the portal restarted, or the workload was removed)."
                    + (state.Reason is { Length: > 0 } more ? $" {more}" : ""),
                _ => null,
            };
            if (reason is not null)
            {
                await FailAsync(inference.Id, name, reason, cancellationToken);
            }
            else if (inference.Status == InferenceStatus.Deployed && monitor.Get(inference.Id).Replicas.Count > 0
                && await db.TryMoveAsync(inference.Id, i => i.Status == InferenceStatus.Deployed, InferenceStatus.Running, null, cancellationToken))
            {
                await monitor.NotifyStatusAsync(inference.Id, InferenceStatus.Running);
            }
        }
    }

    private async Task FailAsync(int inferenceId, string name, string reason, CancellationToken cancellationToken)
    {
        var error = await runner.WithLogTailAsync(reason, name, LogTailLines, "the replicas'", logger, cancellationToken);
        if (!await db.TryMoveAsync(inferenceId, InferenceUpdates.Active, InferenceStatus.Failed, set => set.SetProperty(i => i.Error, error), cancellationToken))
            return;
        LogFailed(inferenceId, reason);
        monitor.Forget(inferenceId);
        await monitor.NotifyStatusAsync(inferenceId, InferenceStatus.Failed);
        try
        {
            await runner.StopAsync(name, cancellationToken); // what is left of it (a crash-looping replica) stops too
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RunnerReadings.LogStateUnknown(logger, e, name);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Inference {InferenceId} marked failed by reconcile: {Reason}")]
    private partial void LogFailed(int inferenceId, string reason);
}
