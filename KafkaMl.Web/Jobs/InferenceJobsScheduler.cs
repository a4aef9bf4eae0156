using Hangfire;

namespace KafkaMl.Web.Jobs;

/// <summary>Registers the recurring reconcile of inference statuses when the portal starts and runs it once at once.</summary>
public sealed class InferenceJobsScheduler(IRecurringJobManager recurring) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        recurring.AddOrUpdate<ReconcileInferenceJob>(ReconcileInferenceJob.RecurringId, job => job.RunAsync(CancellationToken.None), ReconcileInferenceJob.Schedule);
        recurring.Trigger(ReconcileInferenceJob.RecurringId);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
