using Hangfire;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Registers the recurring reconcile of training statuses when the portal starts and runs it once at once, so
/// statuses left behind by a restart (jobs that died with the old portal) are corrected without waiting.
/// </summary>
public sealed class TrainingJobsScheduler(IRecurringJobManager recurring) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<ReconcileTrainingJob>(ReconcileTrainingJob.RecurringId, job => job.RunAsync(CancellationToken.None), ReconcileTrainingJob.Schedule);
        recurring.Trigger(ReconcileTrainingJob.RecurringId);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
