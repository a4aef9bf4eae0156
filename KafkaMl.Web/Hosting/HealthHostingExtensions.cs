using System.Text.Json;
using Confluent.Kafka;
using Hangfire;
using KafkaMl.Core.Broker;
using KafkaMl.Core.Streaming;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KafkaMl.Web.Hosting;

public static class HealthHostingExtensions
{
    public static IHostApplicationBuilder AddKafkaMlHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<KafkaMlDbContext>("database")
            .AddCheck<BrokerHealthCheck>("broker")
            .AddCheck<HangfireHealthCheck>("hangfire");
        return builder;
    }

    /// <summary><c>/healthz</c>: overall status plus one entry per component, as JSON.</summary>
    public static WebApplication MapKafkaMlHealth(this WebApplication app)
    {
        // Probes (Docker, Kubernetes) do not sign in.
        app.MapHealthChecks("/healthz", new HealthCheckOptions { ResponseWriter = WriteJson }).AllowAnonymous();
        return app;
    }

    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString().ToLowerInvariant(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}

/// <summary>The embedded broker answers on its port, or an external cluster answers a metadata request.</summary>
public sealed class BrokerHealthCheck(KafkaEndpoint endpoint, IServiceProvider services) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (endpoint.Embedded)
        {
            var broker = services.GetRequiredService<EmbeddedBroker>();
            return Task.FromResult(broker.IsHealthy()
                ? HealthCheckResult.Healthy($"embedded broker at {endpoint.BootstrapServers}")
                : HealthCheckResult.Unhealthy($"embedded broker at {endpoint.BootstrapServers} does not answer"));
        }
        return Task.Run(() =>
        {
            try
            {
                using var admin = new AdminClientBuilder(KafkaClientConfig.Admin(endpoint, "kafkaml-health"))
                    .SetLogHandler((_, _) => { }) // failures surface in the check's description
                    .Build();
                var metadata = admin.GetMetadata(TimeSpan.FromSeconds(3));
                return HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s) at {endpoint.BootstrapServers}");
            }
            catch (KafkaException e)
            {
                return HealthCheckResult.Unhealthy($"cluster at {endpoint.BootstrapServers} does not answer: {e.Error.Reason}");
            }
        }, cancellationToken);
    }
}

/// <summary>At least one Hangfire server has sent a heartbeat recently.</summary>
public sealed class HangfireHealthCheck(JobStorage storage) : IHealthCheck
{
    private static readonly TimeSpan MaxHeartbeatAge = TimeSpan.FromMinutes(2);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var servers = storage.GetMonitoringApi().Servers();
        var alive = servers.Count(s => s.Heartbeat is { } beat && DateTime.UtcNow - beat < MaxHeartbeatAge);
        return Task.FromResult(alive > 0
            ? HealthCheckResult.Healthy($"{alive} server(s) processing jobs")
            : HealthCheckResult.Unhealthy("no Hangfire server has a recent heartbeat"));
    }
}
