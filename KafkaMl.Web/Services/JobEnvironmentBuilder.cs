using System.Diagnostics;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Telemetry;
using KafkaMl.Web.Telemetry;

namespace KafkaMl.Web.Services;

/// <summary>
/// The environment every workload the portal starts gets (training jobs and inference replicas alike): where the
/// portal is, the workload's own token, and how to reach Kafka (<see cref="JobEnvironment.Kafka"/>: servers, control
/// topic, security settings). Tokens and Kafka credentials are secrets: the runners keep them out of logs and pod
/// specs (<see cref="JobRunnerOptions.IsSecretVariable"/>). For tracing (<see cref="JobTracing"/>): the span starting
/// the workload (<see cref="JobTracing.TraceParentVariable"/>) and the portal's OTLP endpoint, when it has one.
/// </summary>
public sealed class JobEnvironmentBuilder(PortalAddress portal, KafkaEndpoint kafka, IConfiguration? configuration = null)
{
    /// <summary>The portal's OpenTelemetry collector, which its jobs export to as well.</summary>
    public const string OtlpEndpointKey = $"{TelemetryOptions.Section}:{nameof(TelemetryOptions.OtlpEndpoint)}";

    /// <summary>The portal's OTLP protocol, handed to jobs as the OpenTelemetry SDK's own variable.</summary>
    private const string OtlpProtocolKey = $"{TelemetryOptions.Section}:{nameof(TelemetryOptions.OtlpProtocol)}";

    public Dictionary<string, string> For(string token)
    {
        var environment = new Dictionary<string, string>(JobEnvironment.Kafka(kafka), StringComparer.Ordinal)
        {
            [JobEnvironment.PortalUrlVariable] = portal.Resolve(),
            [JobEnvironment.TokenVariable] = token,
        };
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } span }) environment[JobTracing.TraceParentVariable] = span;
        if (configuration?[OtlpEndpointKey] is { Length: > 0 } otlp)
        {
            environment[JobTracing.OtlpEndpointVariable] = otlp;
            if (configuration[OtlpProtocolKey] is { Length: > 0 } protocol) environment[OtlpTarget.ProtocolVariable] = protocol;
        }
        return environment;
    }
}
