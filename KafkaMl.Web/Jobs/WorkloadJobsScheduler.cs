using Hangfire;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Registers the recurring reconcile of each workload kind when the portal starts and runs each once at once, so
/// statuses left behind by a restart (jobs that died with the old portal) are corrected without waiting.
/// </summary>
public sealed class WorkloadJobsScheduler(IRecurringJobManager recurring, IEnumerable<IWorkloadKind> kinds) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var kind in kinds.Select(k => k.Kind))
        {
            var id = ReconcileWorkloadJob.RecurringId(kind);
            recurring.AddOrUpdate<ReconcileWorkloadJob>(id, job => job.RunAsync(kind, CancellationToken.None), ReconcileWorkloadJob.Schedule);
            recurring.Trigger(id);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
