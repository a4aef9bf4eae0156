using System.Globalization;
using System.Text;
using Confluent.Kafka;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Core.Federated;

/// <summary>A site that answered at least one round, as the cloud broker's update topics record it.</summary>
/// <param name="Site">The name the site's agent was started with.</param>
/// <param name="LastContact">When its latest update or statistics reached the cloud broker.</param>
/// <param name="Results">The federated results it sent updates for.</param>
/// <param name="Updates">Updates (and statistics) it sent.</param>
/// <param name="Samples">The samples its latest update was trained on.</param>
/// <param name="LastRound">The round of its latest update (0: only statistics so far).</param>
/// <param name="TestSamples">The test samples of its latest evaluation of a final model; null before any.</param>
public sealed record KnownSite(string Site, DateTimeOffset LastContact, IReadOnlyList<int> Results, int Updates, long Samples, int LastRound = 0, long? TestSamples = null);

/// <summary>
/// The sites known to the cloud: read from the manifests on every <c>kafkaml-federated-*-updates</c> topic (the record
/// of who answered which round; no database needed). Only manifests are parsed; the weight chunks are skipped.
/// </summary>
public static class FederationDirectory
{
    /// <summary>The known sites, most recent contact first; with <paramref name="resultId"/>, only those that took part in it.</summary>
    public static IReadOnlyList<KnownSite> Read(string bootstrapServers, IReadOnlyDictionary<string, string>? settings, int? resultId, CancellationToken cancellationToken)
    {
        var config = KafkaClientConfig.Consumer(bootstrapServers, $"kafkaml-federation-{Guid.NewGuid():N}", "kafkaml-federation", settings: settings);
        config.EnableAutoCommit = false;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var topics = resultId is { } id
            ? [FederatedTopics.Updates(id)]
            : admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic)
                .Where(t => t.StartsWith(FederatedTopics.RoundTopicPrefix, StringComparison.Ordinal) && t.EndsWith("-updates", StringComparison.Ordinal)).ToList();
        var manifests = new List<(TransferManifest Manifest, DateTimeOffset At)>();
        foreach (var topic in topics)
        {
            var partition = new TopicPartition(topic, 0);
            long end;
            try
            {
                end = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10)).High.Value;
            }
            catch (KafkaException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                continue; // no site answered this result yet
            }
            if (end <= 0) continue;
            consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
            for (long next = 0; next < end;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (consumer.Consume(TimeSpan.FromSeconds(5)) is not { } read) break;
                next = read.Offset.Value + 1;
                if (read.Message.Headers is { } headers && headers.TryGetLastBytes(WeightTransfer.PartHeader, out var part)
                    && Encoding.UTF8.GetString(part) == WeightTransfer.ManifestPart)
                {
                    try
                    {
                        manifests.Add((TransferManifest.Parse(read.Message.Value), read.Message.Timestamp.UtcDateTime));
                    }
                    catch (InvalidDataException)
                    {
                        // A bad manifest was counted as rejected by its round; it says nothing about a site.
                    }
                }
            }
        }
        return [.. manifests.Where(m => !string.IsNullOrWhiteSpace(m.Manifest.Site))
            .GroupBy(m => m.Manifest.Site!, StringComparer.Ordinal)
            .Select(g =>
            {
                var trained = g.Where(m => m.Manifest.Kind != TransferKinds.Evaluation).ToList();
                var lastUpdate = trained.Count == 0 ? default : trained.MaxBy(m => m.At);
                var evaluation = g.Where(m => m.Manifest.Kind == TransferKinds.Evaluation).Select(m => (long?)m.Manifest.Samples).LastOrDefault();
                return new KnownSite(g.Key, g.Max(m => m.At), [.. g.Select(m => m.Manifest.ResultId).Distinct().Order()], trained.Count,
                    lastUpdate.Manifest?.Samples ?? 0, lastUpdate.Manifest?.Round ?? 0, evaluation);
            })
            .OrderByDescending(s => s.LastContact)];
    }

    public static string Describe(KnownSite site) => string.Create(CultureInfo.InvariantCulture,
        $"{site.Site}: last contact {site.LastContact:u}, {site.Updates} update(s) for result(s) {string.Join(", ", site.Results)}, last round {site.LastRound}, {site.Samples} samples{(site.TestSamples is { } tested ? $", {tested} test samples" : "")}");
}
