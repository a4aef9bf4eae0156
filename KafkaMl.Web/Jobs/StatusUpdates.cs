using System.Linq.Expressions;
using KafkaMl.Core.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Status changes of workload records (training results, inferences) as single conditional <c>UPDATE</c>s, so
/// concurrent writers (a job's report, a stop, reconcile) never overwrite a later status: a change applies only if
/// the row is still in a status the record's transition table (<see cref="IWorkloadRecord{TStatus}.Transitions"/>)
/// lets it leave for the new one, and the caller learns whether it did.
/// </summary>
public static class StatusUpdates
{
    /// <summary>
    /// Sets record <paramref name="id"/> to <paramref name="to"/> (and its <c>StatusChanged</c> to now) if its status
    /// may move there by the transition table; <paramref name="more"/> sets further columns in the same statement.
    /// True when the row changed.
    /// </summary>
    public static Task<bool> TryMoveAsync<TRecord, TStatus>(
        this DbSet<TRecord> records, int id, TStatus to, Action<UpdateSettersBuilder<TRecord>>? more, CancellationToken cancellationToken)
        where TRecord : class, IWorkloadRecord<TStatus>
        where TStatus : struct, Enum =>
        records.TryMoveAsync(id, TRecord.Transitions.Sources(to), to, more, cancellationToken);

    /// <summary>
    /// Like <see cref="TryMoveAsync{TRecord,TStatus}(DbSet{TRecord},int,TStatus,Action{UpdateSettersBuilder{TRecord}}?,CancellationToken)"/>,
    /// from <paramref name="from"/> only: a narrower guard than the table's (e.g. only a <c>created</c> record is
    /// marked deployed by its start). Every status in it must be one the table lets move to <paramref name="to"/>.
    /// </summary>
    public static async Task<bool> TryMoveAsync<TRecord, TStatus>(
        this DbSet<TRecord> records,
        int id,
        IReadOnlyCollection<TStatus> from,
        TStatus to,
        Action<UpdateSettersBuilder<TRecord>>? more,
        CancellationToken cancellationToken)
        where TRecord : class, IWorkloadRecord<TStatus>
        where TStatus : struct, Enum
    {
        foreach (var status in from.Where(status => !TRecord.Transitions.CanMove(status, to)))
            throw new ArgumentException($"{typeof(TRecord).Name} may not move from {status.ToName()} to {to.ToName()}.", nameof(from));
        var now = DateTimeOffset.UtcNow;
        var rows = await records
            .Where(Columns<TRecord, TStatus>.HasId(id))
            .WhereStatusIn(from)
            .ExecuteUpdateAsync(set =>
            {
                set.SetProperty(Columns<TRecord, TStatus>.Status, to);
                set.SetProperty(Columns<TRecord, TStatus>.StatusChanged, now);
                more?.Invoke(set);
            }, cancellationToken);
        return rows == 1;
    }

    /// <summary>The records whose status is one of <paramref name="statuses"/>.</summary>
    public static IQueryable<TRecord> WhereStatusIn<TRecord, TStatus>(this IQueryable<TRecord> records, IEnumerable<TStatus> statuses)
        where TRecord : class, IWorkloadRecord<TStatus>
        where TStatus : struct, Enum
    {
        var row = Expression.Parameter(typeof(TRecord), "row");
        var status = Expression.Property(row, nameof(IWorkloadRecord<TStatus>.Status));
        var test = statuses
            .Select(value => (Expression)Expression.Equal(status, Expression.Constant(value)))
            .DefaultIfEmpty(Expression.Constant(false))
            .Aggregate(Expression.OrElse);
        return records.Where(Expression.Lambda<Func<TRecord, bool>>(test, row));
    }

    /// <summary>The record with id <paramref name="id"/>.</summary>
    public static IQueryable<TRecord> WhereId<TRecord, TStatus>(this IQueryable<TRecord> records, int id)
        where TRecord : class, IWorkloadRecord<TStatus>
        where TStatus : struct, Enum =>
        records.Where(Columns<TRecord, TStatus>.HasId(id));

    /// <summary>Sets the record's <c>Error</c> column (a setter for <c>more</c>).</summary>
    public static Action<UpdateSettersBuilder<TRecord>> SetError<TRecord, TStatus>(string? error)
        where TRecord : class, IWorkloadRecord<TStatus>
        where TStatus : struct, Enum =>
        set => set.SetProperty(Columns<TRecord, TStatus>.Error, error);

    /// <summary>
    /// The columns of <typeparamref name="TRecord"/> as expressions over its own properties (not the interface's), so
    /// EF Core maps them as it maps hand-written lambdas.
    /// </summary>
    private static class Columns<TRecord, TStatus>
        where TRecord : class, IWorkloadRecord<TStatus>
        where TStatus : struct, Enum
    {
        private static readonly ParameterExpression Row = Expression.Parameter(typeof(TRecord), "row");

        public static readonly Expression<Func<TRecord, TStatus>> Status = Column<TStatus>(nameof(IWorkloadRecord<TStatus>.Status));
        public static readonly Expression<Func<TRecord, DateTimeOffset>> StatusChanged = Column<DateTimeOffset>(nameof(IWorkloadRecord<TStatus>.StatusChanged));
        public static readonly Expression<Func<TRecord, string?>> Error = Column<string?>(nameof(IWorkloadRecord<TStatus>.Error));

        /// <summary><c>row.Id == id</c>, the id read from a captured value so EF Core sends it as a parameter.</summary>
        public static Expression<Func<TRecord, bool>> HasId(int id) =>
            Expression.Lambda<Func<TRecord, bool>>(
                Expression.Equal(
                    Expression.Property(Row, nameof(IWorkloadRecord<TStatus>.Id)),
                    Expression.Field(Expression.Constant(new Captured(id)), nameof(Captured.Value))),
                Row);

        private static Expression<Func<TRecord, TValue>> Column<TValue>(string name) =>
            Expression.Lambda<Func<TRecord, TValue>>(Expression.Property(Row, name), Row);
    }

    private sealed class Captured(int value)
    {
        public readonly int Value = value;
    }
}
