using KafkaMl.Core;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Services;

/// <summary>What the portal shows about its own parts: broker address, runner, data directory, health.</summary>
public sealed class PortalStatusService(KafkaEndpoint endpoint, IOptions<KafkaMlOptions> options, HealthCheckService health)
{
    public KafkaEndpoint Kafka => endpoint;
    public string Runner => options.Value.Runner.ToLowerInvariant();
    public string DataDir => options.Value.DataDirFullPath;
    public string Version => AppVersion.Current;

    public async Task<PortalHealth> CheckAsync(CancellationToken cancellationToken = default)
    {
        var report = await health.CheckHealthAsync(cancellationToken);
        var components = report.Entries
            .Select(e => new ComponentHealth(e.Key, e.Value.Status == HealthStatus.Healthy, e.Value.Description ?? e.Value.Exception?.Message))
            .ToList();
        return new PortalHealth(report.Status == HealthStatus.Healthy, components);
    }
}

public sealed record PortalHealth(bool Healthy, IReadOnlyList<ComponentHealth> Components)
{
    public ComponentHealth? this[string name] => Components.FirstOrDefault(c => c.Name == name);
}

public sealed record ComponentHealth(string Name, bool Healthy, string? Description);
