using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Telemetry;

/// <summary>The <c>KafkaMl:Telemetry</c> section: the <c>/metrics</c> scrape, the OTLP export, and how often broker-side series refresh.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "KafkaMl:Telemetry";

    /// <summary>Where the Prometheus text is served.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// A bearer token that may read <see cref="MetricsPath"/> and nothing else (for Prometheus' <c>authorization</c>
    /// setting); empty: only admins (and everyone in open mode, which listens on loopback only). Never logged.
    /// </summary>
    public string? MetricsToken { get; set; }

    /// <summary>An OpenTelemetry collector (e.g. <c>http://localhost:4317</c>) receiving the same metrics and the traces; empty: none.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (default, port 4317) or <c>http/protobuf</c> (port 4318; the signal's path is appended).</summary>
    public string OtlpProtocol { get; set; } = GrpcProtocol;

    /// <summary>
    /// Whether the portal records traces. Null (default): only when <see cref="OtlpEndpoint"/> is set, so a portal
    /// exporting nowhere pays nothing for spans; true also records them for an exporter added in code (tests).
    /// </summary>
    public bool? Tracing { get; set; }

    /// <summary>How often the portal reads consumer lag from the broker and job counts from its database.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    public const string GrpcProtocol = OtlpTarget.Grpc;
    public const string HttpProtocol = OtlpTarget.HttpProtobuf;

    /// <summary>The collector's address when <see cref="OtlpEndpoint"/> is a valid one (a wrong one stops the start, see <see cref="Problems"/>).</summary>
    public Uri? OtlpUri => Uri.TryCreate(OtlpEndpoint?.Trim(), UriKind.Absolute, out var uri) ? uri : null;

    public bool ExportsOtlp => OtlpUri is not null;

    public bool TracingEnabled => Tracing ?? ExportsOtlp;

    /// <summary>The problems of these settings, each naming its key (empty when valid).</summary>
    public IEnumerable<string> Problems()
    {
        if (!string.IsNullOrWhiteSpace(OtlpEndpoint) && OtlpUri is null)
            yield return $"{Section}:OtlpEndpoint must be an absolute URL such as http://localhost:4317 ('{OtlpEndpoint}' given).";
        if (OtlpProtocol is not (GrpcProtocol or HttpProtocol))
            yield return $"{Section}:OtlpProtocol must be '{GrpcProtocol}' or '{HttpProtocol}' ('{OtlpProtocol}' given).";
        if (RefreshInterval <= TimeSpan.Zero)
            yield return $"{Section}:RefreshInterval must be positive ('{RefreshInterval}' given).";
    }
}
