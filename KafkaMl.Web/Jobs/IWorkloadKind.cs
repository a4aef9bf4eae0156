using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// One kind of workload the portal runs (training jobs, inference services), as the shared start, stop and reconcile
/// jobs need it: what its statuses mean, which spec starts it, who hears of its changes. A new kind implements this
/// (usually through <see cref="WorkloadKind{TRecord,TStatus}"/>) and registers it; the jobs stay as they are.
/// </summary>
public interface IWorkloadKind
{
    JobKind Kind { get; }

    /// <summary>What runs, in messages: <c>training job</c>, <c>inference replicas</c>.</summary>
    string Subject { get; }

    /// <summary>Whose log a failure quotes: <c>the job's</c>, <c>the replicas'</c>.</summary>
    string LogOwner { get; }

    /// <summary>Whether reconcile stops what is left of a workload it marked failed (a crash-looping replica).</summary>
    bool StopsFailedWorkload { get; }

    /// <summary>The runner's name of workload <paramref name="id"/>.</summary>
    string JobName(int id);

    /// <summary>The record of workload <paramref name="id"/>, or null when it was deleted.</summary>
    Task<WorkloadRow?> FindAsync(KafkaMlDbContext db, int id, CancellationToken cancellationToken);

    /// <summary>True while the workload waits for its start.</summary>
    bool IsCreated(WorkloadRow row);

    /// <summary>The spec that starts the workload.</summary>
    JobSpec Spec(WorkloadRow row);

    /// <summary>Marks a created workload deployed (and says so); false when it is no longer created.</summary>
    Task<bool> TryMarkDeployedAsync(KafkaMlDbContext db, WorkloadRow row, CancellationToken cancellationToken);

    /// <summary>Marks the workload failed because it could not be started, unless it moved on meanwhile.</summary>
    Task MarkStartFailedAsync(KafkaMlDbContext db, WorkloadRow row, string error, CancellationToken cancellationToken);

    /// <summary>True when a workload just started must not be left running: its record ended meanwhile, or is gone.</summary>
    bool IsLeftBehind(WorkloadRow? row);

    /// <summary>The workloads that should be running, by id.</summary>
    Task<IReadOnlyList<WorkloadRow>> ListActiveAsync(KafkaMlDbContext db, CancellationToken cancellationToken);

    /// <summary>
    /// Why an active workload in <paramref name="state"/> failed, or null when it is fine;
    /// <paramref name="unknownTooLong"/> when the runner has not known it for longer than the grace period.
    /// </summary>
    string? FailureReason(JobState state, bool unknownTooLong);

    /// <summary>Marks an active workload failed with <paramref name="error"/> (and says so); false when it moved on meanwhile.</summary>
    Task<bool> TryMarkFailedAsync(KafkaMlDbContext db, WorkloadRow row, string error, CancellationToken cancellationToken);

    /// <summary>What reconcile does for an active workload the runner finds healthy.</summary>
    Task ReconcileHealthyAsync(KafkaMlDbContext db, WorkloadRow row, CancellationToken cancellationToken);
}

/// <summary>
/// What the lifecycle jobs read of a workload's record: its status, when it changed, the record it belongs to (a
/// result's deployment, an inference's result) and its replicas.
/// </summary>
public sealed record WorkloadRow(int Id, Enum Status, DateTimeOffset StatusChanged, int ParentId, int Replicas = 1);

public static class WorkloadKinds
{
    /// <summary>The registered kind for <paramref name="kind"/>.</summary>
    public static IWorkloadKind Of(this IEnumerable<IWorkloadKind> kinds, JobKind kind) =>
        kinds.FirstOrDefault(k => k.Kind == kind) ?? throw new InvalidOperationException($"No workload kind {kind} is registered.");
}
