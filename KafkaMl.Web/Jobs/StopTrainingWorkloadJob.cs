using Hangfire;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Jobs;

/// <summary>Hangfire job: retries stopping a training job the API could not stop at once (a missing job is fine).</summary>
public sealed class StopTrainingWorkloadJob(IJobRunner runner)
{
    [AutomaticRetry(Attempts = 5)]
    public Task RunAsync(string jobName, CancellationToken cancellationToken) => runner.StopAsync(jobName, cancellationToken);
}
