using KafkaMl.Core.Federated;

namespace KafkaMl.Tests.Federated;

/// <summary>
/// Reads every message of every topic on the cloud broker and accounts for it: a transfer part (chunk or manifest), a
/// model announcement, or unexplained. It also looks for the sites' samples: any 16-byte run equal to one sample's
/// features (four float32s, as the sites' RAW messages carry them) anywhere in a key or value.
/// </summary>
public sealed record CloudScan(IReadOnlyList<string> Topics, int Messages, long Bytes, int TransferParts, int Announcements, IReadOnlyList<string> Unexplained, IReadOnlyList<string> SampleHits)
{
    public static CloudScan Run(string servers, IEnumerable<SampleSet> siteData)
    {
        var samples = new HashSet<string>(StringComparer.Ordinal);
        foreach (var set in siteData)
            for (var i = 0; i < set.Count; i++)
                samples.Add(Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(set.FeaturesOf(i))));

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = servers }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        var topics = metadata.Topics.Where(t => !t.Topic.StartsWith("__", StringComparison.Ordinal)).ToList();
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = servers, GroupId = $"scan-{Guid.NewGuid():N}", EnableAutoCommit = false }).Build();
        var (messages, bytes, parts, announcements) = (0, 0L, 0, 0);
        var unexplained = new List<string>();
        var hits = new List<string>();
        foreach (var topic in topics)
            foreach (var partition in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Topic, partition.PartitionId);
                var end = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High.Value;
                if (end == 0) continue;
                consumer.Assign(new TopicPartitionOffset(tp, Offset.Beginning));
                for (long read = 0; read < end;)
                {
                    var result = consumer.Consume(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"{tp} stopped before offset {end}");
                    read = result.Offset.Value + 1;
                    messages++;
                    var (key, value) = (result.Message.Key ?? [], result.Message.Value ?? []);
                    bytes += key.Length + value.Length;
                    if (Contains(samples, key) || Contains(samples, value)) hits.Add($"{result.TopicPartitionOffset}");
                    if (TransferMessage.FromKafka(result.Message) is not null) parts++;
                    else if (topic.Topic == FederatedTopics.ModelControl && Parses(value)) announcements++;
                    else unexplained.Add($"{result.TopicPartitionOffset} ({value.Length} bytes)");
                }
            }
        return new CloudScan([.. topics.Select(t => t.Topic).Order(StringComparer.Ordinal)], messages, bytes, parts, announcements, unexplained, hits);
    }

    public string Describe() =>
        $"cloud broker scan: {Topics.Count} topics [{string.Join(", ", Topics)}], {Messages} messages, {Bytes} bytes: {TransferParts} transfer parts, " +
        $"{Announcements} announcements, {Unexplained.Count} unexplained, {SampleHits.Count} holding a site's sample";

    private static bool Parses(byte[] value)
    {
        try
        {
            ModelAnnouncement.Parse(value);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static bool Contains(HashSet<string> samples, byte[] bytes)
    {
        for (var i = 0; i + 16 <= bytes.Length; i++)
            if (samples.Contains(Convert.ToHexString(bytes, i, 16))) return true;
        return false;
    }
}
