using OpenTelemetry.Exporter;

namespace KafkaMl.Core.Telemetry;

/// <summary>
/// Where an OTLP exporter sends, configured the same way in the portal and in job processes: over <c>grpc</c> the
/// collector's address as given; over <c>http/protobuf</c> the signal's own path appended to it
/// (<c>http://collector:4318</c> → <c>…/v1/traces</c>), as OTLP over HTTP expects. The SDK appends that path only to an
/// address it read from its own environment variables, never to one set in code, which is how both set it.
/// </summary>
public static class OtlpTarget
{
    public const string Grpc = "grpc";
    public const string HttpProtobuf = "http/protobuf";
    public const string TracesPath = "v1/traces";
    public const string MetricsPath = "v1/metrics";

    /// <summary>The OpenTelemetry SDK's own variable naming the protocol (the portal hands its setting to jobs in it).</summary>
    public const string ProtocolVariable = "OTEL_EXPORTER_OTLP_PROTOCOL";

    /// <summary>Points <paramref name="otlp"/> at <paramref name="collector"/> over <paramref name="protocol"/> (null: grpc) for the signal at <paramref name="signalPath"/>.</summary>
    public static void Configure(OtlpExporterOptions otlp, Uri collector, string? protocol, string signalPath)
    {
        ArgumentNullException.ThrowIfNull(otlp);
        ArgumentNullException.ThrowIfNull(collector);
        if (protocol == HttpProtobuf)
        {
            otlp.Protocol = OtlpExportProtocol.HttpProtobuf;
            otlp.Endpoint = new Uri(collector, collector.AbsolutePath.TrimEnd('/') + "/" + signalPath);
        }
        else
        {
            otlp.Protocol = OtlpExportProtocol.Grpc;
            otlp.Endpoint = collector;
        }
    }
}
