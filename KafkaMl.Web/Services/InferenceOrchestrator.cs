using System.Globalization;
using System.Linq.Expressions;
using Hangfire;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace KafkaMl.Web.Services;

/// <summary>
/// What the inferences API, the pages and the Hangfire jobs share about inference services: the workload's
/// <see cref="JobSpec"/> (the <c>infer</c> verb, N replicas, the same environment as training jobs with the
/// inference's own token), starting, scaling and stopping it through <see cref="IJobRunner"/>. Predicting never
/// happens here: replicas run in other processes.
/// </summary>
public sealed partial class InferenceOrchestrator(
    IJobRunner runner,
    JobTokens tokens,
    JobEnvironmentBuilder environment,
    IBackgroundJobClient jobs,
    ILogger<InferenceOrchestrator> logger)
{
    /// <summary>The verb every replica runs.</summary>
    public const string InferVerb = "infer";

    /// <summary>Most replicas of one inference.</summary>
    public const int MaxReplicas = 16;

    /// <summary>The consumer group the replicas of inference <paramref name="inferenceId"/> share.</summary>
    public static string ConsumerGroup(int inferenceId) => $"kafkaml-inference-{inferenceId.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The workload of inference <paramref name="inferenceId"/>: <c>infer --inference &lt;id&gt;</c> × <paramref name="replicas"/>.</summary>
    public JobSpec InferenceJob(int inferenceId, int resultId, int replicas)
    {
        var id = inferenceId.ToString(CultureInfo.InvariantCulture);
        return new JobSpec(
            JobSpec.InferenceName(inferenceId),
            JobKind.Inference,
            [InferVerb, "--inference", id],
            environment.For(tokens.ForInference(inferenceId)),
            replicas,
            Labels: new Dictionary<string, string>
            {
                ["kafkaml/kind"] = "inference",
                ["kafkaml/inference-id"] = id,
                ["kafkaml/result-id"] = resultId.ToString(CultureInfo.InvariantCulture),
            });
    }

    /// <summary>Enqueues the Hangfire job that starts inference <paramref name="inferenceId"/>'s replicas.</summary>
    public string EnqueueStart(int inferenceId) =>
        jobs.Enqueue<StartInferenceJob>(job => job.RunAsync(inferenceId, null, CancellationToken.None));

    /// <summary>Changes the number of running replicas; throws when the runner cannot (the caller reports it).</summary>
    public Task ScaleAsync(int inferenceId, int replicas, CancellationToken cancellationToken) =>
        runner.ScaleAsync(JobSpec.InferenceName(inferenceId), replicas, cancellationToken);

    /// <summary>
    /// Stops inference <paramref name="inferenceId"/>'s replicas now; when the runner fails, a Hangfire job retries
    /// the stop so no replica is left running. Never throws for a runner failure.
    /// </summary>
    public async Task StopWorkloadAsync(int inferenceId, CancellationToken cancellationToken)
    {
        var name = JobSpec.InferenceName(inferenceId);
        try
        {
            await runner.StopAsync(name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStopRetried(e, name);
            // Stopping by workload name is the same for training and inference.
            jobs.Enqueue<StopTrainingWorkloadJob>(job => job.RunAsync(name, CancellationToken.None));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Stopping inference workload {Job} failed; a background job retries it")]
    private partial void LogStopRetried(Exception exception, string job);
}

/// <summary>
/// Status changes of inferences as single conditional <c>UPDATE</c>s (like <see cref="TrainingResultUpdates"/>):
/// a change applies only if the row is still in an allowed status, so a stop never gets overwritten by a late
/// report or reconcile.
/// </summary>
public static class InferenceUpdates
{
    /// <summary>Inferences whose replicas should be running (deployed, running).</summary>
    public static readonly Expression<Func<Inference, bool>> Active = i =>
        i.Status == InferenceStatus.Deployed || i.Status == InferenceStatus.Running;

    /// <summary>Inferences that were not stopped and did not fail.</summary>
    public static readonly Expression<Func<Inference, bool>> NotEnded = i =>
        i.Status != InferenceStatus.Stopped && i.Status != InferenceStatus.Failed;

    /// <summary>Sets inference <paramref name="inferenceId"/> to <paramref name="status"/> if it matches <paramref name="allowed"/>; true when it changed.</summary>
    public static async Task<bool> TryMoveAsync(
        this KafkaMlDbContext db,
        int inferenceId,
        Expression<Func<Inference, bool>> allowed,
        InferenceStatus status,
        Action<UpdateSettersBuilder<Inference>>? more,
        CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var rows = await db.Inferences
            .Where(i => i.Id == inferenceId)
            .Where(allowed)
            .ExecuteUpdateAsync(set =>
            {
                set.SetProperty(i => i.Status, status);
                set.SetProperty(i => i.StatusChanged, now);
                more?.Invoke(set);
            }, cancellationToken);
        return rows == 1;
    }
}
