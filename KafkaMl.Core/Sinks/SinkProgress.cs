using KafkaMl.Core.Control;

namespace KafkaMl.Core.Sinks;

/// <summary>How far a sink has got: messages handed to the producer, messages the broker acknowledged, payload bytes.</summary>
public readonly record struct SinkProgress(long Sent, long Delivered, long Bytes, TimeSpan Elapsed)
{
    /// <summary>Messages sent per second of <see cref="Elapsed"/>.</summary>
    public double MessagesPerSecond => Elapsed > TimeSpan.Zero ? Sent / Elapsed.TotalSeconds : 0;
}

/// <summary>What a completed sink wrote: the ranges, their total, the bytes, the time, and the control message sent (none for an online sink).</summary>
public sealed record SinkResult(
    IReadOnlyList<TopicRange> Ranges,
    long Messages,
    long Bytes,
    TimeSpan Elapsed,
    ControlMessage? ControlMessage,
    IReadOnlyList<TopicRange>? UnlabelledRanges = null)
{
    /// <summary>Unlabelled messages written (<see cref="KafkaSink.SendUnlabelled"/>): the sum of <see cref="UnlabelledRanges"/>.</summary>
    public long UnlabelledMessages => UnlabelledRanges is { } ranges ? TopicRanges.Total(ranges) : 0;

    /// <summary>Delivered messages per second, from the first send until every message was acknowledged.</summary>
    public double MessagesPerSecond => Elapsed > TimeSpan.Zero ? Messages / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Messages that the broker did not accept. When this is thrown by <see cref="KafkaSink.CompleteAsync"/>
/// no control message was sent: the stream is not announced to any training job.
/// </summary>
public sealed class SinkDeliveryException : Exception
{
    public SinkDeliveryException(string message, long failedMessages, Exception? inner = null) : base(message, inner) =>
        FailedMessages = failedMessages;

    /// <summary>How many messages were not delivered.</summary>
    public long FailedMessages { get; }
}
