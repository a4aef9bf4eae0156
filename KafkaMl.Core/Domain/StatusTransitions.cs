using System.Collections.Frozen;

namespace KafkaMl.Core.Domain;

/// <summary>
/// The transition table of one workload's status enum: for each status, the statuses a record may move to it
/// from. Everything else follows from the table: a status no transition leaves is final, and the statuses whose
/// workload should be running are named once beside it. Conditional status updates read it, so every writer (a
/// job's report, a stop, reconcile) obeys the same rules.
/// </summary>
public sealed class StatusTransitions<TStatus> where TStatus : struct, Enum
{
    private readonly FrozenDictionary<TStatus, TStatus[]> sources;
    private readonly FrozenSet<TStatus> leavable;

    /// <param name="sources">Target status → the statuses it may be reached from.</param>
    /// <param name="active">The statuses in which the workload should be running (what reconcile watches).</param>
    public StatusTransitions(IReadOnlyDictionary<TStatus, TStatus[]> sources, IReadOnlyList<TStatus> active)
    {
        this.sources = sources.ToFrozenDictionary();
        leavable = sources.Values.SelectMany(from => from).ToFrozenSet();
        Active = active;
        NotFinal = Enum.GetValues<TStatus>().Where(leavable.Contains).ToArray();
    }

    /// <summary>The statuses in which the workload should be running.</summary>
    public IReadOnlyList<TStatus> Active { get; }

    /// <summary>The statuses that may still change, in declaration order.</summary>
    public IReadOnlyList<TStatus> NotFinal { get; }

    /// <summary>True when no transition leaves <paramref name="status"/>: nothing changes any more.</summary>
    public bool IsFinal(TStatus status) => !leavable.Contains(status);

    public bool IsActive(TStatus status) => Active.Contains(status);

    /// <summary>The statuses a record may move to <paramref name="to"/> from (empty when nothing reaches it).</summary>
    public IReadOnlyList<TStatus> Sources(TStatus to) => sources.TryGetValue(to, out var from) ? from : [];

    public bool CanMove(TStatus from, TStatus to) => Sources(to).Contains(from);
}
