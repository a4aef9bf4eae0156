using Hangfire;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Recurring Hangfire job (every 15 s, and once at start): keeps the statuses of <c>deployed</c> and
/// <c>training</c> results true to their jobs. A job the runner reports failed, one that ended without uploading a
/// result, or one the runner no longer knows past <see cref="OrchestrationOptions.UnknownJobGrace"/> (stopped with the
/// portal, the process was killed, the Kubernetes Job was removed; a local job a crashed portal left running is adopted
/// by the next one and stays known) marks its result <c>failed</c> with the
/// reason and the end of the job's log. Every change is conditional, so a report arriving meanwhile wins.
/// </summary>
public sealed partial class ReconcileTrainingJob(
    KafkaMlDbContext db,
    IJobRunner runner,
    ResultsNotifier notifier,
    IOptions<OrchestrationOptions> options,
    ILogger<ReconcileTrainingJob> logger)
{
    public const string RecurringId = "reconcile-training";

    /// <summary>Every 15 seconds (Hangfire's six-part cron, seconds first).</summary>
    public const string Schedule = "*/15 * * * * *";

    /// <summary>Lines of the job's log appended to the error of a result it failed.</summary>
    public const int LogTailLines = 20;

    [AutomaticRetry(Attempts = 0)] // the next run retries anyway
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var active = await db.TrainingResults.AsNoTracking()
            .Where(TrainingResultUpdates.Active)
            .OrderBy(r => r.Id)
            .Select(r => new { r.Id, r.DeploymentId, r.StatusChanged })
            .ToListAsync(cancellationToken);

        foreach (var result in active)
        {
            var name = JobSpec.TrainingName(result.Id);
            if (await runner.TryGetStateAsync(name, logger, cancellationToken) is not { } state) continue;

            var reason = state.Phase switch
            {
                JobPhase.Failed => state.Reason is { Length: > 0 } why
                    ? $"The training job failed: {why}"
                    : $"The training job failed{(state.ExitCode is { } code ? $" with exit code {code}" : "")}.",
                JobPhase.Succeeded => "The training job ended without reporting a result.",
                JobPhase.Unknown when DateTimeOffset.UtcNow - result.StatusChanged > options.Value.UnknownJobGrace =>
                    "The training job is gone: the job runner no longer knows it (it was stopped with the portal, or killed, or removed)."
                    + (state.Reason is { Length: > 0 } more ? $" {more}" : ""),
                _ => null,
            };
            if (reason is null) continue;

            var error = await runner.WithLogTailAsync(reason, name, LogTailLines, "the job's", logger, cancellationToken);
            if (await db.TryMoveAsync(result.Id, TrainingResultUpdates.Active, TrainingStatus.Failed,
                    set => set.SetProperty(r => r.Error, error), cancellationToken))
            {
                LogFailed(result.Id, reason);
                await notifier.NotifyStatusAsync(result.Id, result.DeploymentId, TrainingStatus.Failed);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Result {ResultId} marked failed by reconcile: {Reason}")]
    private partial void LogFailed(int resultId, string reason);
}
