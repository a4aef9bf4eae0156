using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Federated;

/// <summary>Who a site is and where its two Kafka clusters are.</summary>
/// <param name="Site">The site's name, as its updates carry it (and the portal lists it).</param>
/// <param name="CloudBootstrapServers">The cloud's broker: announcements and round topics (only weights and statistics go there).</param>
/// <param name="DataBootstrapServers">The site's own broker: its dataset announcements and its data (never leave it).</param>
public sealed record SiteOptions(string Site, string CloudBootstrapServers, string DataBootstrapServers)
{
    /// <summary>librdkafka settings for both clusters (security).</summary>
    public IReadOnlyDictionary<string, string>? KafkaSettings { get; init; }

    public ILogger? KafkaLogger { get; init; }

    /// <summary>TorchSharp threads for local training (null: one per core).</summary>
    public int? TorchThreads { get; init; } = 1;

    /// <summary>How long reading the dataset's ranges waits for data that does not come.</summary>
    public TimeSpan MissingDataTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
