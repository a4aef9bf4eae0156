namespace KafkaMl.Core.Inference;

/// <summary>
/// One input message whose answer (a prediction, or a dead letter) was handed to the producer and may not be
/// delivered yet. Completed on the producer's delivery thread.
/// </summary>
internal sealed class InFlight(PartitionProgress partition, long offset, long createdUnixMs, bool deadLetter)
{
    private const int Pending = 0;
    private const int Delivered = 1;
    private const int Failed = 2;

    private int _state;

    public long Offset { get; } = offset;

    /// <summary>The input message's timestamp (ms since the epoch), or −1 when it has none.</summary>
    public long CreatedUnixMs { get; } = createdUnixMs;

    public bool DeadLetter { get; } = deadLetter;

    public bool IsCompleted => Volatile.Read(ref _state) != Pending;

    public bool IsDelivered => Volatile.Read(ref _state) == Delivered;

    /// <summary>Marks the answer delivered (or not); false when it was already completed.</summary>
    public bool Complete(bool delivered)
    {
        if (Interlocked.CompareExchange(ref _state, delivered ? Delivered : Failed, Pending) != Pending) return false;
        partition.OneCompleted();
        return true;
    }
}

/// <summary>
/// The at-least-once bookkeeping of one assigned input partition: the messages consumed from it in offset order,
/// each until its answer is delivered. The offset to commit is one past the last message of the longest
/// delivered prefix, so a message is never committed before every earlier one of its partition was answered,
/// whatever order the deliveries come back in (predictions go to several output partitions).
/// </summary>
/// <remarks>
/// <see cref="Track"/> and <see cref="Advance"/> run on the consuming thread only; <see cref="InFlight.Complete"/>
/// on the producer's delivery thread.
/// </remarks>
internal sealed class PartitionProgress(int partition)
{
    private readonly Queue<InFlight> _pending = new();
    private int _outstanding;

    public int Partition { get; } = partition;

    /// <summary>Answers handed to the producer and not delivered (nor failed) yet.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>A delivery of this partition failed: nothing at or after it may be committed.</summary>
    public bool Blocked { get; private set; }

    public InFlight Track(long offset, long createdUnixMs, bool deadLetter)
    {
        var entry = new InFlight(this, offset, createdUnixMs, deadLetter);
        Interlocked.Increment(ref _outstanding);
        _pending.Enqueue(entry);
        return entry;
    }

    internal void OneCompleted() => Interlocked.Decrement(ref _outstanding);

    /// <summary>
    /// Drops the delivered prefix and returns the offset to store (last delivered + 1), or null when the prefix
    /// did not grow. A failed delivery stops the prefix for good (<see cref="Blocked"/>).
    /// </summary>
    public long? Advance()
    {
        long? next = null;
        while (_pending.TryPeek(out var head) && head.IsCompleted)
        {
            if (!head.IsDelivered)
            {
                Blocked = true;
                break;
            }
            _pending.Dequeue();
            next = head.Offset + 1;
        }
        return next;
    }
}
