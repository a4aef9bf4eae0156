using KafkaMl.Core;
using KafkaMl.Core.Telemetry;
using KafkaMl.Web.Auth;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace KafkaMl.Web.Telemetry;

/// <summary>
/// The portal's one OpenTelemetry provider (<c>KafkaMl:Telemetry</c>), for metrics and traces: KafkaMl's own meter and
/// activity source (<see cref="KafkaMlTelemetry.Name"/>), ASP.NET Core, HttpClient and .NET runtime instrumentation, the
/// Prometheus scrape at <see cref="TelemetryOptions.MetricsPath"/>, and the OTLP exporter when
/// <see cref="TelemetryOptions.OtlpEndpoint"/> is set. Traces are recorded only when something exports them
/// (<see cref="TelemetryOptions.TracingEnabled"/>); an exporter added in code, e.g. by a test,
/// joins through <c>services.ConfigureOpenTelemetryTracerProvider</c>.
/// </summary>
public static class TelemetryHostingExtensions
{
    public const string ServiceName = "kafkaml-portal";

    public static IHostApplicationBuilder AddKafkaMlTelemetry(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();
        services.AddSingleton<InferenceMetrics>();
        services.AddSingleton<ConsumerLagMonitor>();
        services.AddSingleton<WorkloadMetrics>();
        services.AddHostedService<TelemetryRefresher>();

        var settings = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceVersion: AppVersion.Current))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(KafkaMlTelemetry.Name)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (settings.ExportsOtlp) metrics.AddOtlpExporter(otlp => OtlpTarget.Configure(otlp, settings.OtlpUri!, settings.OtlpProtocol, OtlpTarget.MetricsPath));
            });
        if (settings.TracingEnabled)
        {
            telemetry.WithTracing(tracing =>
            {
                tracing.AddSource(KafkaMlTelemetry.Name)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (settings.ExportsOtlp) tracing.AddOtlpExporter(otlp => OtlpTarget.Configure(otlp, settings.OtlpUri!, settings.OtlpProtocol, OtlpTarget.TracesPath));
            });
        }
        return builder;
    }

    /// <summary><c>/metrics</c> in the Prometheus text format, for admins and the metrics token (<see cref="KafkaMlPolicies.Metrics"/>).</summary>
    public static IEndpointRouteBuilder MapKafkaMlMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(TelemetryOptions.MetricsPath).RequireAuthorization(KafkaMlPolicies.Metrics);
        return app;
    }
}

/// <summary>Refuses a portal start with wrong <c>KafkaMl:Telemetry</c> settings, naming each.</summary>
public sealed class TelemetryOptionsValidator : IValidateOptions<TelemetryOptions>
{
    public ValidateOptionsResult Validate(string? name, TelemetryOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
