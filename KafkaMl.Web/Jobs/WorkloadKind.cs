using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// What every workload kind does the same way over its own record type and status enum: conditional status moves
/// (by the enum's transition table), the spec's shape (the verb with the record's id, the portal's environment with
/// the workload's token, labels naming it and its parent). A kind names its statuses, its record set, its
/// notifications and what a runner's state means for it.
/// </summary>
public abstract class WorkloadKind<TRecord, TStatus>(WorkloadShape<TStatus> shape, JobTokens tokens, JobEnvironmentBuilder environment)
    : IWorkloadKind
    where TRecord : class, IWorkloadRecord<TStatus>
    where TStatus : struct, Enum
{
    public JobKind Kind => shape.Kind;

    public string Subject => shape.Subject;

    public string LogOwner => shape.LogOwner;

    public virtual bool StopsFailedWorkload => false;

    private TStatus Created => shape.Created;

    private TStatus Deployed => shape.Deployed;

    private TStatus Failed => shape.Failed;

    /// <summary>The statuses a start that failed on its last attempt marks failed from.</summary>
    protected virtual IReadOnlyCollection<TStatus> StartFailedFrom => TRecord.Transitions.Sources(Failed);

    public string JobName(int id) => shape.JobName(id);

    public abstract string? FailureReason(JobState state, bool unknownTooLong);

    protected abstract DbSet<TRecord> Records(KafkaMlDbContext db);

    /// <summary>Reads <paramref name="records"/> (ordered by id) as workload rows.</summary>
    protected abstract Task<List<WorkloadRow>> ReadAsync(IQueryable<TRecord> records, CancellationToken cancellationToken);

    /// <summary>Tells the live pages that the workload's status changed.</summary>
    protected abstract Task NotifyAsync(WorkloadRow row, TStatus status);

    /// <summary>What happens, beside the notification, when reconcile marks the workload failed.</summary>
    protected virtual void OnFailed(WorkloadRow row)
    {
    }

    public virtual Task ReconcileHealthyAsync(KafkaMlDbContext db, WorkloadRow row, CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual bool IsLeftBehind(WorkloadRow? row) => row is null || TRecord.Transitions.IsFinal((TStatus)row.Status);

    public bool IsCreated(WorkloadRow row) => row.Status.Equals(Created);

    public async Task<WorkloadRow?> FindAsync(KafkaMlDbContext db, int id, CancellationToken cancellationToken) =>
        (await ReadAsync(Records(db).AsNoTracking().WhereId<TRecord, TStatus>(id), cancellationToken)).SingleOrDefault();

    public async Task<IReadOnlyList<WorkloadRow>> ListActiveAsync(KafkaMlDbContext db, CancellationToken cancellationToken) =>
        await ReadAsync(Records(db).AsNoTracking().WhereStatusIn(TRecord.Transitions.Active), cancellationToken);

    public JobSpec Spec(WorkloadRow row)
    {
        var id = row.Id.ToString(CultureInfo.InvariantCulture);
        return new JobSpec(
            JobName(row.Id),
            Kind,
            [shape.Verb, shape.IdOption, id],
            environment.For(tokens.For(shape.TokenScope, row.Id)),
            row.Replicas,
            Labels: new Dictionary<string, string>
            {
                ["kafkaml/kind"] = Kind == JobKind.Training ? "training" : "inference",
                [shape.IdLabel] = id,
                [shape.ParentLabel] = row.ParentId.ToString(CultureInfo.InvariantCulture),
            });
    }

    // Only from created: the workload may already have reported itself, or been stopped or deleted.
    public Task<bool> TryMarkDeployedAsync(KafkaMlDbContext db, WorkloadRow row, CancellationToken cancellationToken) =>
        MoveAndNotifyAsync(db, row, [Created], Deployed, null, cancellationToken);

    public async Task MarkStartFailedAsync(KafkaMlDbContext db, WorkloadRow row, string error, CancellationToken cancellationToken) =>
        await MoveAndNotifyAsync(db, row, StartFailedFrom, Failed, error, cancellationToken);

    public async Task<bool> TryMarkFailedAsync(KafkaMlDbContext db, WorkloadRow row, string error, CancellationToken cancellationToken)
    {
        if (!await Records(db).TryMoveAsync(row.Id, TRecord.Transitions.Active, Failed, StatusUpdates.SetError<TRecord, TStatus>(error), cancellationToken))
            return false;
        OnFailed(row);
        await NotifyAsync(row, Failed);
        return true;
    }

    /// <summary>Moves the workload from <paramref name="from"/> to <paramref name="to"/> (with <paramref name="error"/> when given) and notifies.</summary>
    protected async Task<bool> MoveAndNotifyAsync(
        KafkaMlDbContext db, WorkloadRow row, IReadOnlyCollection<TStatus> from, TStatus to, string? error, CancellationToken cancellationToken)
    {
        if (!await Records(db).TryMoveAsync(row.Id, from, to, error is null ? null : StatusUpdates.SetError<TRecord, TStatus>(error), cancellationToken))
            return false;
        await NotifyAsync(row, to);
        return true;
    }
}

/// <summary>
/// The names and statuses that make a workload kind: its runner kind and names, what its messages call it, the token
/// scope and the command line of its spec (<c>train --result 12</c>), the labels naming it and its parent record, and
/// the statuses the start and reconcile move it to.
/// </summary>
public sealed record WorkloadShape<TStatus>(
    JobKind Kind,
    Func<int, string> JobName,
    string Subject,
    string LogOwner,
    JobScope TokenScope,
    string Verb,
    string IdOption,
    string IdLabel,
    string ParentLabel,
    TStatus Created,
    TStatus Deployed,
    TStatus Failed)
    where TStatus : struct, Enum;
