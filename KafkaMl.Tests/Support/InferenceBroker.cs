using System.Text;
using Confluent.Kafka;
using KafkaMl.Core.Broker;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Tests.Support;

/// <summary>One embedded broker for every inference spec (a collection fixture); each spec uses its own topics and group.</summary>
public sealed class InferenceBrokerFixture : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly EmbeddedBroker _broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));

    public string BootstrapServers => _broker.BootstrapServers;

    /// <summary>A fresh input topic, its output topic and its dead-letter topic.</summary>
    public InferenceTopics NewTopics(int partitions = 4)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var topics = new InferenceTopics($"in-{id}", $"out-{id}", $"group-{id}");
        _broker.CreateTopic(topics.Input, partitions);
        _broker.CreateTopic(topics.Output, partitions);
        _broker.CreateTopic(topics.DeadLetters, 1);
        return topics;
    }

    /// <summary>Produces the messages (to <paramref name="partition"/> when given) and returns where each landed, in order.</summary>
    public async Task<IReadOnlyList<DeliveryResult<byte[]?, byte[]?>>> ProduceAsync(string topic, IEnumerable<Message<byte[]?, byte[]?>> messages, int? partition = null)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = BootstrapServers, LingerMs = 1, SocketNagleDisable = true })
            .SetLogHandler((_, _) => { })
            .Build();
        var deliveries = messages.Select(m => partition is { } p
            ? producer.ProduceAsync(new TopicPartition(topic, p), m)
            : producer.ProduceAsync(topic, m)).ToList();
        return await Task.WhenAll(deliveries).WaitAsync(Patience);
    }

    /// <summary>Reads every partition of <paramref name="topic"/> from the beginning until <paramref name="done"/> says enough (or throws after the patience).</summary>
    public IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> ReadUntil(string topic, Func<IReadOnlyList<ConsumeResult<byte[]?, byte[]?>>, bool> done, TimeSpan? patience = null)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = $"reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = 5,
        }).SetLogHandler((_, _) => { }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(20)).Topics.Single().Partitions.Select(p => p.PartitionId);
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var all = new List<ConsumeResult<byte[]?, byte[]?>>();
        var limit = patience ?? Patience;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!done(all))
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"{topic}: the expected messages did not arrive within {limit} (got {all.Count}).");
            if (consumer.Consume(50) is { } result) all.Add(result);
        }
        consumer.Close();
        return all;
    }

    /// <summary>Reads until every key in <paramref name="keys"/> has at least one message.</summary>
    public IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> ReadAnswers(string topic, IReadOnlyCollection<string> keys, TimeSpan? patience = null)
    {
        var missing = new HashSet<string>(keys);
        var read = 0;
        return ReadUntil(topic, all =>
        {
            for (; read < all.Count; read++) missing.Remove(KeyOf(all[read]));
            return missing.Count == 0;
        }, patience);
    }

    public static string KeyOf(ConsumeResult<byte[]?, byte[]?> result) => result.Message.Key is { } key ? Encoding.UTF8.GetString(key) : "";

    public void Dispose() => _broker.Dispose();
}

public sealed record InferenceTopics(string Input, string Output, string Group)
{
    public string DeadLetters => InferenceJobRoutes.DeadLetterTopic(Input);
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InferenceBrokerCollection : ICollectionFixture<InferenceBrokerFixture>
{
    // Not in parallel with other collections: these specs build TorchSharp modules (drawing from its global
    // generator, which seeded training specs rely on) and start replica processes that want the CPU.
    public const string Name = "Inference against the embedded broker";
}

/// <summary>HCOPD-shaped input messages: 3 float32 features (RAW), key <c>k&lt;i&gt;</c>, a <c>trace</c> header.</summary>
internal static class InferenceInputs
{
    public static readonly RawEncoder Encoder = new(new RawFormatConfig());

    public static readonly RawDecoder Decoder = new(new RawFormatConfig());

    public static float[] Features(int i) => [i % 2, 40 + i % 45, 1 + i % 3];

    public static Message<byte[]?, byte[]?> Message(int i, string prefix = "k") => new()
    {
        Key = Encoding.UTF8.GetBytes($"{prefix}{i}"),
        Value = Encoder.Encode(Features(i), default).Value,
        Headers = new Headers { { "trace", Encoding.UTF8.GetBytes($"t{i}") } },
    };

    public static IEnumerable<Message<byte[]?, byte[]?>> Messages(int count, string prefix = "k") =>
        Enumerable.Range(0, count).Select(i => Message(i, prefix));

    public static PredictionMessage Parse(ConsumeResult<byte[]?, byte[]?> result) => PredictionMessage.Parse(result.Message.Value);
}
