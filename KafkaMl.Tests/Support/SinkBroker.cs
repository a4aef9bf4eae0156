using Confluent.Kafka;
using KafkaMl.Core.Broker;
using KafkaMl.Core.Control;

namespace KafkaMl.Tests.Support;

/// <summary>One embedded broker for every sink test (a collection fixture); each test uses its own topics.</summary>
public sealed class SinkBrokerFixture : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly EmbeddedBroker _broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));

    public string BootstrapServers => _broker.BootstrapServers;

    /// <summary>A fresh data topic and control topic for one test (the control topic has one partition, as the broker verb creates it).</summary>
    public (string Data, string Control) NewTopics(int dataPartitions = 4)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var topics = ($"data-{id}", $"control-{id}");
        _broker.CreateTopic(topics.Item1, dataPartitions);
        _broker.CreateTopic(topics.Item2, 1);
        return topics;
    }

    /// <summary>Every message now in <paramref name="topic"/>, partition by partition.</summary>
    public IReadOnlyList<ConsumeResult<byte[], byte[]>> ReadAll(string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(20)).Topics.Single().Partitions.Select(p => p.PartitionId).Order();
        using var consumer = Consumer();
        var ranges = partitions
            .Select(p => (Partition: p, Marks: consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(20))))
            .Select(x => new TopicRange(topic, x.Partition, x.Marks.Low.Value, x.Marks.High.Value))
            .ToList();
        return Read(consumer, ranges);
    }

    /// <summary>Exactly the messages in <paramref name="ranges"/>, in range order.</summary>
    public IReadOnlyList<ConsumeResult<byte[], byte[]>> ReadRanges(IEnumerable<TopicRange> ranges)
    {
        using var consumer = Consumer();
        return Read(consumer, ranges.ToList());
    }

    public void Dispose() => _broker.Dispose();

    private IConsumer<byte[], byte[]> Consumer() =>
        new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = $"sink-specs-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 50,
        }).SetLogHandler((_, _) => { }).Build();

    private static List<ConsumeResult<byte[], byte[]>> Read(IConsumer<byte[], byte[]> consumer, IReadOnlyList<TopicRange> ranges)
    {
        var all = new List<ConsumeResult<byte[], byte[]>>();
        using var deadline = new CancellationTokenSource(Patience);
        foreach (var range in ranges.Where(r => r.Count > 0))
        {
            consumer.Assign(new TopicPartitionOffset(range.Topic, range.Partition, range.Start));
            while (true)
            {
                if (deadline.IsCancellationRequested) throw new TimeoutException($"{range} did not arrive within {Patience}.");
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is null) continue;
                if (result.Offset.Value >= range.End) break;
                all.Add(result);
                if (result.Offset.Value == range.End - 1) break;
            }
        }
        return all;
    }
}

[CollectionDefinition(Name)]
public sealed class SinkBrokerCollection : ICollectionFixture<SinkBrokerFixture>
{
    public const string Name = "Sinks against the embedded broker";
}
