namespace KafkaMl.Web.Hosting;

/// <summary>
/// What the control logger has done since the portal started (a singleton the portal shows): control
/// messages received, stored as datasources, already stored (redeliveries), rejected, the last error
/// and when the last message came. Components <see cref="Subscribe"/> to hear about every change.
/// </summary>
public sealed class ControlLoggerStats
{
    private readonly object _gate = new();
    private readonly List<Func<Task>> _subscribers = [];
    private ControlLoggerSnapshot _snapshot = ControlLoggerSnapshot.NotStarted;

    /// <summary>The counters now; an immutable copy.</summary>
    public ControlLoggerSnapshot Snapshot
    {
        get { lock (_gate) return _snapshot; }
    }

    /// <summary>
    /// Calls <paramref name="onChanged"/> after every change (on the logger's thread; a component calls
    /// back through <c>InvokeAsync</c>). Dispose the subscription to stop.
    /// </summary>
    public IDisposable Subscribe(Func<Task> onChanged)
    {
        ArgumentNullException.ThrowIfNull(onChanged);
        lock (_gate) _subscribers.Add(onChanged);
        return new Subscription(this, onChanged);
    }

    internal void Started(string topic, string groupId) =>
        Update(s => s with { State = ControlLoggerState.Consuming, Topic = topic, GroupId = groupId });

    internal void Received(DateTimeOffset messageTime) =>
        Update(s => s with { Received = s.Received + 1, LastMessageTime = messageTime });

    internal void Stored() => Update(s => s with { Stored = s.Stored + 1 });

    internal void Duplicate() => Update(s => s with { Duplicates = s.Duplicates + 1 });

    internal void Rejected(string position, string reason)
    {
        var now = DateTimeOffset.UtcNow;
        Update(s => s with
        {
            Rejected = s.Rejected + 1,
            LastError = reason,
            LastErrorTime = now,
            RecentRejections = [.. s.RecentRejections.TakeLast(ControlLoggerSnapshot.RecentRejectionsKept - 1), new ControlRejection(position, reason, now)],
        });
    }

    /// <summary>A problem that is not the message's fault (broker unreachable, database busy): shown, not counted.</summary>
    internal void Error(string reason) => Update(s => s with { LastError = reason, LastErrorTime = DateTimeOffset.UtcNow });

    internal void Failed(string reason) =>
        Update(s => s with { State = ControlLoggerState.Failed, LastError = reason, LastErrorTime = DateTimeOffset.UtcNow });

    internal void Stopped() =>
        Update(s => s.State == ControlLoggerState.Failed ? s : s with { State = ControlLoggerState.Stopped });

    private void Update(Func<ControlLoggerSnapshot, ControlLoggerSnapshot> change)
    {
        Func<Task>[] subscribers;
        lock (_gate)
        {
            _snapshot = change(_snapshot);
            subscribers = [.. _subscribers];
        }
        foreach (var subscriber in subscribers) _ = Notify(subscriber);
    }

    private static async Task Notify(Func<Task> subscriber)
    {
        try
        {
            await subscriber();
        }
        catch (Exception)
        {
            // A subscriber's failure (a circuit gone) is its own business; the logger goes on.
        }
    }

    private sealed class Subscription(ControlLoggerStats stats, Func<Task> onChanged) : IDisposable
    {
        public void Dispose()
        {
            lock (stats._gate) stats._subscribers.Remove(onChanged);
        }
    }
}

public enum ControlLoggerState
{
    NotStarted,
    Consuming,
    Stopped,
    Failed,
}

/// <summary>The control logger's counters at one moment.</summary>
/// <param name="Received">Control messages read off the control topic.</param>
/// <param name="Stored">Stored as a new datasource.</param>
/// <param name="Duplicates">Already stored (a redelivery after a restart); not stored again.</param>
/// <param name="Rejected">Malformed or invalid; logged and skipped.</param>
/// <param name="LastError">The last rejection reason or client error.</param>
/// <param name="LastMessageTime">The timestamp of the last control message received.</param>
/// <param name="RecentRejections">The last rejections, oldest first (at most <see cref="RecentRejectionsKept"/>).</param>
public sealed record ControlLoggerSnapshot(
    ControlLoggerState State,
    string? Topic,
    string? GroupId,
    long Received,
    long Stored,
    long Duplicates,
    long Rejected,
    string? LastError,
    DateTimeOffset? LastErrorTime,
    DateTimeOffset? LastMessageTime,
    IReadOnlyList<ControlRejection> RecentRejections)
{
    public const int RecentRejectionsKept = 20;

    public static readonly ControlLoggerSnapshot NotStarted = new(ControlLoggerState.NotStarted, null, null, 0, 0, 0, 0, null, null, null, []);
}

/// <summary>A control message the logger skipped: where it was (<c>topic:partition:offset</c>), why, and when.</summary>
public sealed record ControlRejection(string Position, string Reason, DateTimeOffset Time);
