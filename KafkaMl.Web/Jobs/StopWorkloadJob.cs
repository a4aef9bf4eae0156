using Hangfire;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Hangfire job: retries stopping a workload (training job or inference replicas, by its runner name) that could not
/// be stopped at once (a missing workload is fine).
/// </summary>
public sealed class StopWorkloadJob(IJobRunner runner)
{
    [AutomaticRetry(Attempts = 5)]
    public Task RunAsync(string jobName, CancellationToken cancellationToken) => runner.StopAsync(jobName, cancellationToken);
}

public static partial class WorkloadStops
{
    /// <summary>
    /// Stops workload <paramref name="name"/> now; when the runner fails, a <see cref="StopWorkloadJob"/> retries the
    /// stop so nothing is left running. Never throws for a runner failure.
    /// </summary>
    public static async Task StopOrRetryAsync(
        this IJobRunner runner, string name, IBackgroundJobClient jobs, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            await runner.StopAsync(name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStopRetried(logger, e, name);
            jobs.Enqueue<StopWorkloadJob>(job => job.RunAsync(name, CancellationToken.None));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Stopping workload {Job} failed; a background job retries it")]
    private static partial void LogStopRetried(ILogger logger, Exception exception, string job);
}
