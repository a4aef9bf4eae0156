using KafkaMl.Core.Federated;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Services;

/// <summary>The federation's sites as the portal shows them (<c>/federation</c>, a federated result's page): read from the cloud broker.</summary>
public sealed class FederationService(KafkaEndpoint kafka)
{
    /// <summary>Known sites; with <paramref name="resultId"/>, those that took part in that result.</summary>
    public Task<IReadOnlyList<KnownSite>> SitesAsync(int? resultId = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => FederationDirectory.Read(kafka.BootstrapServers, KafkaSecurity.ClientSettings(kafka.Security).ToDictionary(), resultId, cancellationToken), cancellationToken);
}
