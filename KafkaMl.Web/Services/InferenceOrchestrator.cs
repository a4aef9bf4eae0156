using System.Globalization;
using Hangfire;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Jobs;

namespace KafkaMl.Web.Services;

/// <summary>
/// What the inferences API and the pages decide about inference services: enqueue the start of an inference's
/// replicas, scale and stop them through <see cref="IJobRunner"/>. The Hangfire jobs start them
/// (<see cref="StartWorkloadJob"/>, <see cref="InferenceWorkload"/>); predicting never happens here: replicas run in
/// other processes.
/// </summary>
public sealed class InferenceOrchestrator(
    IJobRunner runner,
    IBackgroundJobClient jobs,
    ILogger<InferenceOrchestrator> logger)
{
    /// <summary>Most replicas of one inference.</summary>
    public const int MaxReplicas = 16;

    /// <summary>The consumer group the replicas of inference <paramref name="inferenceId"/> share.</summary>
    public static string ConsumerGroup(int inferenceId) => $"kafkaml-inference-{inferenceId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Enqueues the Hangfire job that starts inference <paramref name="inferenceId"/>'s replicas.</summary>
    public string EnqueueStart(int inferenceId) =>
        jobs.Enqueue<StartWorkloadJob>(job => job.RunAsync(inferenceId, JobKind.Inference, null, CancellationToken.None));

    /// <summary>Changes the number of running replicas; throws when the runner cannot (the caller reports it).</summary>
    public Task ScaleAsync(int inferenceId, int replicas, CancellationToken cancellationToken) =>
        runner.ScaleAsync(JobSpec.InferenceName(inferenceId), replicas, cancellationToken);

    /// <summary>
    /// True when the runner already runs inference <paramref name="inferenceId"/>'s workload: a <c>created</c>
    /// inference whose start job has started it but not yet marked it deployed.
    /// </summary>
    public async Task<bool> IsStartedAsync(int inferenceId, CancellationToken cancellationToken) =>
        (await runner.GetStateAsync(JobSpec.InferenceName(inferenceId), cancellationToken)).Phase != JobPhase.Unknown;

    /// <summary>
    /// Stops inference <paramref name="inferenceId"/>'s replicas now; when the runner fails, a Hangfire job retries
    /// the stop so no replica is left running. Never throws for a runner failure.
    /// </summary>
    public Task StopWorkloadAsync(int inferenceId, CancellationToken cancellationToken) =>
        runner.StopOrRetryAsync(JobSpec.InferenceName(inferenceId), jobs, logger, cancellationToken);
}
