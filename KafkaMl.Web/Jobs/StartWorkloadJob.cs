using Hangfire;
using Hangfire.Server;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Hangfire job: starts one workload (a result's training job, an inference's replicas) through
/// <see cref="IJobRunner"/> and marks it <c>deployed</c>. Idempotent — a workload that is no longer <c>created</c> is
/// left alone, and the runner ignores a start of a workload it already runs — so Hangfire may retry it. When the
/// last attempt fails, the workload is marked <c>failed</c> with the reason instead of staying <c>created</c>.
/// </summary>
public sealed partial class StartWorkloadJob(
    KafkaMlDbContext db,
    IJobRunner runner,
    IEnumerable<IWorkloadKind> kinds,
    IBackgroundJobClient jobs,
    ILogger<StartWorkloadJob> logger)
{
    /// <summary>Attempts in all, the first included.</summary>
    public const int Attempts = 3;

    /// <param name="workloadId">The result's id (training) or the inference's id.</param>
    /// <param name="kind">Which workload <paramref name="workloadId"/> names.</param>
    /// <param name="context">Filled by Hangfire (pass null); null is treated as the last attempt.</param>
    [AutomaticRetry(Attempts = Attempts - 1, DelaysInSeconds = [5, 30], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    public async Task RunAsync(int workloadId, JobKind kind, PerformContext? context, CancellationToken cancellationToken)
    {
        var workload = kinds.Of(kind);
        var row = await workload.FindAsync(db, workloadId, cancellationToken);
        if (row is null || !workload.IsCreated(row))
        {
            LogNotStarted(kind, workloadId, row is null ? "deleted" : row.Status.ToString().ToLowerInvariant());
            return;
        }

        var spec = workload.Spec(row);
        try
        {
            await runner.StartAsync(spec, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException && IsLastAttempt(context))
        {
            LogStartFailed(e, spec.Name);
            await workload.MarkStartFailedAsync(db, row, $"The {workload.Subject} could not be started: {e.Message}", cancellationToken);
            return;
        }

        if (await workload.TryMarkDeployedAsync(db, row, cancellationToken))
        {
            LogStarted(spec.Name, spec.Replicas, runner.Kind);
            // A scale saved while the workload was being started (after its spec was read) is applied now.
            if (await workload.FindAsync(db, workloadId, cancellationToken) is { } now && now.Replicas != spec.Replicas)
                await runner.ScaleAsync(spec.Name, now.Replicas, cancellationToken);
            return;
        }
        // Stopped, failed or deleted while the workload was being started: do not leave it running.
        if (workload.IsLeftBehind(await workload.FindAsync(db, workloadId, cancellationToken)))
            await runner.StopOrRetryAsync(spec.Name, jobs, logger, cancellationToken);
    }

    private static bool IsLastAttempt(PerformContext? context) =>
        context is null || context.GetJobParameter<int>("RetryCount") >= Attempts - 1;

    [LoggerMessage(LogLevel.Debug, "{Kind} workload {Id} is {Status}; it is not started")]
    private partial void LogNotStarted(JobKind kind, int id, string status);

    [LoggerMessage(LogLevel.Information, "Started workload {Job} with {Replicas} replica(s) on the {Runner} runner")]
    private partial void LogStarted(string job, int replicas, string runner);

    [LoggerMessage(LogLevel.Error, "Starting workload {Job} failed on its last attempt")]
    private partial void LogStartFailed(Exception exception, string job);
}
