using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace KafkaMl.Core.Telemetry;

/// <summary>
/// W3C trace context in Kafka message headers (<see cref="KafkaMlTelemetry.TraceParentHeader"/> and
/// <see cref="TraceStateHeader"/>), and the span of one consumed message, named and tagged after OpenTelemetry's
/// messaging conventions (<c>process &lt;topic&gt;</c>).
/// </summary>
public static class TracePropagation
{
    public const string TraceStateHeader = "tracestate";

    /// <summary>The remote parent <paramref name="headers"/> carry, or default when they carry none (or an invalid one).</summary>
    public static ActivityContext ParentOf(Headers? headers)
    {
        if (headers is null || !headers.TryGetLastBytes(KafkaMlTelemetry.TraceParentHeader, out var parent)) return default;
        var state = headers.TryGetLastBytes(TraceStateHeader, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
        return ActivityContext.TryParse(Encoding.UTF8.GetString(parent), state, isRemote: true, out var context) ? context : default;
    }

    /// <summary>Puts <paramref name="span"/>'s trace context in <paramref name="headers"/>, in place of any they carried.</summary>
    public static void Inject(Headers headers, Activity span)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(span);
        headers.Remove(KafkaMlTelemetry.TraceParentHeader);
        headers.Remove(TraceStateHeader);
        headers.Add(KafkaMlTelemetry.TraceParentHeader, Encoding.UTF8.GetBytes(span.Id!));
        if (!string.IsNullOrEmpty(span.TraceStateString)) headers.Add(TraceStateHeader, Encoding.UTF8.GetBytes(span.TraceStateString));
    }

    /// <summary>
    /// Starts the span of processing one consumed message: a child of the trace context its headers carry, else the
    /// root of a new trace (never a child of whatever span is current: each message is its own unit of work). The
    /// span is not left current. Null when nothing listens to <see cref="KafkaMlTelemetry.Source"/>.
    /// </summary>
    public static Activity? StartProcessing(ConsumeResult<byte[]?, byte[]?> message, string consumerGroup)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!KafkaMlTelemetry.Source.HasListeners()) return null;
        var previous = Activity.Current;
        Activity.Current = null;
        var span = KafkaMlTelemetry.Source.StartActivity("process " + message.Topic, ActivityKind.Consumer, ParentOf(message.Message.Headers));
        Activity.Current = previous;
        span?.SetTag("messaging.system", "kafka")
            .SetTag("messaging.operation.type", "process")
            .SetTag("messaging.destination.name", message.Topic)
            .SetTag("messaging.destination.partition.id", message.Partition.Value.ToString(CultureInfo.InvariantCulture))
            .SetTag("messaging.kafka.offset", message.Offset.Value)
            .SetTag("messaging.consumer.group.name", consumerGroup);
        return span;
    }
}
