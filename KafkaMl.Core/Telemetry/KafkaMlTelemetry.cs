using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace KafkaMl.Core.Telemetry;

/// <summary>
/// The one source of KafkaMl's own spans and the one meter of its own instruments, in the portal and in job
/// processes alike, so an OpenTelemetry provider subscribes to both by the single name <see cref="Name"/>.
/// </summary>
public static class KafkaMlTelemetry
{
    public const string Name = "KafkaMl";

    /// <summary>The W3C trace-context header, carried as a Kafka message header and in job environments.</summary>
    public const string TraceParentHeader = "traceparent";

    public static readonly ActivitySource Source = new(Name, AppVersion.Current);

    public static readonly Meter Meter = new(Name, AppVersion.Current);
}
