using Hangfire;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Recurring Hangfire job, one per workload kind (every 15 s, and once at start): keeps the statuses of active
/// workloads (deployed or training results, deployed or running inferences) true to what the runner sees. What a
/// runner's state means is the kind's (<see cref="IWorkloadKind.FailureReason"/>); a workload the runner no longer
/// knows counts only past <see cref="OrchestrationOptions.UnknownJobGrace"/>. A failure is recorded with the reason
/// and the end of the workload's log. Every change is conditional, so a report or a stop arriving meanwhile wins.
/// </summary>
public sealed partial class ReconcileWorkloadJob(
    KafkaMlDbContext db,
    IJobRunner runner,
    IEnumerable<IWorkloadKind> kinds,
    IOptions<OrchestrationOptions> options,
    ILogger<ReconcileWorkloadJob> logger)
{
    /// <summary>Every 15 seconds (Hangfire's six-part cron, seconds first).</summary>
    public const string Schedule = "*/15 * * * * *";

    /// <summary>Lines of the workload's log kept with the reason of a failure.</summary>
    public const int LogTailLines = 20;

    /// <summary>The recurring job's id for <paramref name="kind"/>: <c>reconcile-training</c>, <c>reconcile-inference</c>.</summary>
    public static string RecurringId(JobKind kind) => kind switch
    {
        JobKind.Training => "reconcile-training",
        JobKind.Inference => "reconcile-inference",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    [AutomaticRetry(Attempts = 0)] // the next run retries anyway
    public async Task RunAsync(JobKind kind, CancellationToken cancellationToken)
    {
        var workload = kinds.Of(kind);
        foreach (var row in await workload.ListActiveAsync(db, cancellationToken))
        {
            var name = workload.JobName(row.Id);
            if (await runner.TryGetStateAsync(name, logger, cancellationToken) is not { } state) continue;

            var reason = workload.FailureReason(state, DateTimeOffset.UtcNow - row.StatusChanged > options.Value.UnknownJobGrace);
            if (reason is null)
            {
                await workload.ReconcileHealthyAsync(db, row, cancellationToken);
                continue;
            }

            var error = await runner.WithLogTailAsync(reason, name, LogTailLines, workload.LogOwner, logger, cancellationToken);
            if (!await workload.TryMarkFailedAsync(db, row, error, cancellationToken)) continue;
            LogFailed(kind, row.Id, reason);
            if (workload.StopsFailedWorkload) await StopWhatIsLeftAsync(name, cancellationToken);
        }
    }

    private async Task StopWhatIsLeftAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await runner.StopAsync(name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RunnerReadings.LogStateUnknown(logger, e, name);
        }
    }

    [LoggerMessage(LogLevel.Warning, "{Kind} workload {Id} marked failed by reconcile: {Reason}")]
    private partial void LogFailed(JobKind kind, int id, string reason);
}
