using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Inference services as a workload kind: <c>infer --inference &lt;id&gt;</c> × replicas, running until stopped.
/// Replicas reporting stats that hold every input partition make a deployed inference running; a workload the runner reports failed, one that ended
/// (a service never should), or one it no longer knows past the grace period (the portal restarted, the Deployment
/// was removed) fails the inference, and what is left of it is stopped.
/// </summary>
public sealed class InferenceWorkload(JobTokens tokens, JobEnvironmentBuilder environment, InferenceMonitor monitor)
    : WorkloadKind<Inference, InferenceStatus>(Shape, tokens, environment)
{
    private static readonly WorkloadShape<InferenceStatus> Shape = new(
        JobKind.Inference, JobSpec.InferenceName, "inference replicas", "the replicas'", JobScope.Inference,
        JobVerbs.Infer, "--inference", IdLabel: "kafkaml/inference-id", ParentLabel: "kafkaml/result-id",
        InferenceStatus.Created, InferenceStatus.Deployed, InferenceStatus.Failed);

    public override bool StopsFailedWorkload => true;

    /// <summary>Only a created inference: once deployed, its replicas may be running and report on their own.</summary>
    protected override IReadOnlyCollection<InferenceStatus> StartFailedFrom => [InferenceStatus.Created];

    public override string? FailureReason(JobState state, bool unknownTooLong) => state.Phase switch
    {
        JobPhase.Failed => $"The inference replicas failed: {state.Reason ?? (state.ExitCode is { } code ? $"exit code {code}" : "the runner gave no reason")}",
        JobPhase.Succeeded => "The inference replicas ended; a service should run until stopped.",
        JobPhase.Unknown when unknownTooLong =>
            "The inference replicas are gone: the job runner no longer knows them (the portal restarted, or the workload was removed)."
            + (state.Reason is { Length: > 0 } more ? $" {more}" : ""),
        _ => null,
    };

    /// <summary>A deployed inference whose reporting replicas serve its whole input (<see cref="InferenceLiveStats.Serves"/>) is running.</summary>
    public override async Task ReconcileHealthyAsync(KafkaMlDbContext db, WorkloadRow row, CancellationToken cancellationToken)
    {
        if (row.Status is not InferenceStatus.Deployed) return;
        var stats = monitor.Get(row.Id);
        if (stats.Replicas.Count == 0) return;
        var partitions = await db.Inferences.Where(i => i.Id == row.Id).Select(i => i.InputPartitions).SingleOrDefaultAsync(cancellationToken);
        if (stats.Serves(partitions, row.Replicas))
            await MoveAndNotifyAsync(db, row, [InferenceStatus.Deployed], InferenceStatus.Running, null, cancellationToken);
    }

    protected override void OnFailed(WorkloadRow row) => monitor.Forget(row.Id);

    protected override DbSet<Inference> Records(KafkaMlDbContext db) => db.Inferences;

    protected override async Task<List<WorkloadRow>> ReadAsync(IQueryable<Inference> records, CancellationToken cancellationToken) =>
        (await records.OrderBy(i => i.Id).Select(i => new { i.Id, i.Status, i.StatusChanged, i.ResultId, i.Replicas }).ToListAsync(cancellationToken))
        .ConvertAll(i => new WorkloadRow(i.Id, i.Status, i.StatusChanged, i.ResultId, i.Replicas));

    protected override Task NotifyAsync(WorkloadRow row, InferenceStatus status) => monitor.NotifyStatusAsync(row.Id, status);
}
