using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Training jobs as a workload kind: <c>train --result &lt;id&gt;</c>, one per result, run to completion. A job the
/// runner reports failed, one that ended without uploading a result, or one the runner no longer knows past the
/// grace period (stopped with the portal, the process was killed, the Kubernetes Job was removed; a local job a
/// crashed portal left running is adopted by the next one and stays known) fails its result. An incremental training job
/// killed with SIGKILL is not gone: the local runner starts it again (it said it resumes; see
/// <c>LocalJobRunnerOptions.TrainingRestarts</c>) and the result stays training meanwhile.
/// </summary>
public sealed class TrainingWorkload(JobTokens tokens, JobEnvironmentBuilder environment, ResultsNotifier notifier)
    : WorkloadKind<TrainingResult, TrainingStatus>(Shape, tokens, environment)
{
    private static readonly WorkloadShape<TrainingStatus> Shape = new(
        JobKind.Training, JobSpec.TrainingName, "training job", "the job's", JobScope.Training,
        JobVerbs.Train, "--result", IdLabel: "kafkaml/result-id", ParentLabel: "kafkaml/deployment-id",
        TrainingStatus.Created, TrainingStatus.Deployed, TrainingStatus.Failed);

    /// <summary>
    /// The training job of result <paramref name="resultId"/>: <c>train --result &lt;id&gt;</c> with the portal's URL, its
    /// token and the broker's address in the environment.
    /// </summary>
    public JobSpec Spec(int resultId, int deploymentId) =>
        Spec(new WorkloadRow(resultId, TrainingStatus.Created, default, deploymentId));

    public override string? FailureReason(JobState state, bool unknownTooLong) => state.Phase switch
    {
        JobPhase.Failed => state.Reason is { Length: > 0 } why
            ? $"The training job failed: {why}"
            : $"The training job failed{(state.ExitCode is { } code ? $" with exit code {code}" : "")}.",
        JobPhase.Succeeded => "The training job ended without reporting a result.",
        JobPhase.Unknown when unknownTooLong =>
            "The training job is gone: the job runner no longer knows it (it was stopped with the portal, or killed, or removed)."
            + (state.Reason is { Length: > 0 } more ? $" {more}" : ""),
        _ => null,
    };

    /// <summary>A finished result keeps nothing running; a stopped or failed one must not keep a job that started late.</summary>
    public override bool IsLeftBehind(WorkloadRow? row) => row?.Status is null or TrainingStatus.Stopped or TrainingStatus.Failed;

    protected override DbSet<TrainingResult> Records(KafkaMlDbContext db) => db.TrainingResults;

    protected override async Task<List<WorkloadRow>> ReadAsync(IQueryable<TrainingResult> records, CancellationToken cancellationToken) =>
        (await records.OrderBy(r => r.Id).Select(r => new { r.Id, r.Status, r.StatusChanged, r.DeploymentId }).ToListAsync(cancellationToken))
        .ConvertAll(r => new WorkloadRow(r.Id, r.Status, r.StatusChanged, r.DeploymentId));

    protected override Task NotifyAsync(WorkloadRow row, TrainingStatus status) => notifier.NotifyStatusAsync(row.Id, row.ParentId, status);
}
