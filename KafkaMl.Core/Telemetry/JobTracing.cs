using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace KafkaMl.Core.Telemetry;

/// <summary>
/// Tracing in a job process (<c>train</c>, <c>infer</c>, <c>federated-agent</c>): one root span named for the verb,
/// whose parent is the portal's span that started the job (<see cref="TraceParentVariable"/>, set by the portal's job
/// environment), so API call → Hangfire job → job process is one trace. The process exports its spans itself only
/// when <see cref="OtlpEndpointVariable"/> is set (the portal passes its own <c>KafkaMl:Telemetry:OtlpEndpoint</c>, and
/// its protocol in <see cref="OtlpTarget.ProtocolVariable"/>);
/// disposing ends the root span and flushes what is left.
/// </summary>
public sealed class JobTracing : IDisposable
{
    /// <summary>The W3C <c>traceparent</c> of the span that started the job.</summary>
    public const string TraceParentVariable = "TRACEPARENT";

    /// <summary>The OpenTelemetry collector (OTLP) the job exports its spans to; none: no provider is built.</summary>
    public const string OtlpEndpointVariable = "KafkaMl__Telemetry__OtlpEndpoint";

    private readonly TracerProvider? _provider;

    private JobTracing(TracerProvider? provider, Activity? root)
    {
        _provider = provider;
        Root = root;
    }

    /// <summary>The job's root span (null when nothing records spans); current from <see cref="Start(string)"/> on.</summary>
    public Activity? Root { get; }

    /// <summary>
    /// Starts tracing the job process <paramref name="verb"/> from its environment. A collector address that is not a
    /// URL turns exporting off with a warning on stderr: tracing never stops a job.
    /// </summary>
    public static JobTracing Start(string verb)
    {
        var traceParent = Environment.GetEnvironmentVariable(TraceParentVariable);
        try
        {
            return Start(verb, traceParent, Environment.GetEnvironmentVariable(OtlpEndpointVariable), Environment.GetEnvironmentVariable(OtlpTarget.ProtocolVariable));
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"{verb}: traces are not exported: {e.Message}");
            return Start(verb, traceParent, otlpEndpoint: null);
        }
    }

    /// <summary>
    /// Starts tracing: an OTLP exporter to <paramref name="otlpEndpoint"/> over <paramref name="otlpProtocol"/> (null:
    /// grpc) when given, and the root span under <paramref name="traceParent"/>.
    /// </summary>
    public static JobTracing Start(string verb, string? traceParent, string? otlpEndpoint, string? otlpProtocol = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(verb);
        TracerProvider? provider = null;
        if (!string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            if (!Uri.TryCreate(otlpEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
                throw new ArgumentException($"{OtlpEndpointVariable} must be the collector's OTLP endpoint as an http(s) URL, not '{otlpEndpoint}'.", nameof(otlpEndpoint));
            provider = Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(resource => resource.AddService("kafkaml-" + verb, serviceVersion: AppVersion.Current))
                .AddSource(KafkaMlTelemetry.Name, "System.Net.Http") // the job's own spans and its requests to the portal
                .AddOtlpExporter(otlp => OtlpTarget.Configure(otlp, endpoint, otlpProtocol, OtlpTarget.TracesPath))
                .Build();
        }
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        return new JobTracing(provider, KafkaMlTelemetry.Source.StartActivity(verb, ActivityKind.Internal, parent));
    }

    public void Dispose()
    {
        Root?.Stop();
        _provider?.ForceFlush();
        _provider?.Dispose();
    }
}
