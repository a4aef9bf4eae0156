using KafkaMl.Core.Broker;

namespace KafkaMl.Tests.Support;

/// <summary>
/// The suite's one in-process embedded broker (on any free port), shared by a collection, with the helpers the
/// specs write and read through. Each spec uses topics of its own (<see cref="NewTopics"/>, <see cref="NewInferenceTopics"/>).
/// </summary>
public sealed class BrokerFixture : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly IDataEncoder _raw = DataFormats.CreateEncoder(RawFormat.FormatName, InputConfig.Empty);

    public BrokerFixture()
    {
        _producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(Broker.BootstrapServers, "broker-fixture"))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    public EmbeddedBroker Broker { get; } = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));

    public string BootstrapServers => Broker.BootstrapServers;

    /// <summary>The RAW input_config of <see cref="SendSample"/>'s messages (float32 features and label, flat).</summary>
    public InputConfig RawConfig => InputConfig.From(_raw.InputConfig);

    /// <summary>A fresh data topic and control topic (the control topic has one partition, as KafkaMl creates it).</summary>
    public (string Data, string Control) NewTopics(int dataPartitions = 4)
    {
        var id = NewId();
        var topics = ($"data-{id}", $"control-{id}");
        Broker.CreateTopic(topics.Item1, dataPartitions);
        Broker.CreateTopic(topics.Item2, 1);
        return topics;
    }

    /// <summary>A fresh inference input topic, its output topic and its dead-letter topic.</summary>
    public InferenceTopics NewInferenceTopics(int partitions = 4)
    {
        var id = NewId();
        var topics = new InferenceTopics($"in-{id}", $"out-{id}", $"group-{id}");
        Broker.CreateTopic(topics.Input, partitions);
        Broker.CreateTopic(topics.Output, partitions);
        Broker.CreateTopic(topics.DeadLetters, 1);
        return topics;
    }

    /// <summary>Writes one RAW sample (float32 features as the value, float32 label as the key) and returns its offset.</summary>
    public async Task<long> SendSample(string topic, int partition, float[] features, float label)
    {
        var message = _raw.Encode(features, [label]);
        return await SendBytes(topic, partition, message.Key, message.Value);
    }

    /// <summary>Writes one message as it is and returns its offset.</summary>
    public async Task<long> SendBytes(string topic, int partition, byte[]? key, byte[] value)
    {
        var delivered = await _producer.ProduceAsync(new TopicPartition(topic, partition), new Message<byte[], byte[]> { Key = key!, Value = value });
        return delivered.Offset.Value;
    }

    /// <summary>Writes samples to one partition and returns the range they occupy.</summary>
    public async Task<TopicRange> SendSamples(string topic, int partition, IEnumerable<(float[] Features, float Label)> samples)
    {
        long? first = null;
        long last = -1;
        foreach (var (features, label) in samples)
        {
            last = await SendSample(topic, partition, features, label);
            first ??= last;
        }
        return new TopicRange(topic, partition, first ?? 0, last + 1);
    }

    /// <summary>Sends a control message keyed by <paramref name="deploymentId"/> as KafkaMl's sinks do.</summary>
    public Task SendControl(string controlTopic, long deploymentId, ControlMessage message) =>
        SendBytes(controlTopic, 0, DeploymentKey.Encode(deploymentId), message.ToUtf8Json());

    /// <summary>The control message for RAW float32 samples in <paramref name="ranges"/>.</summary>
    public ControlMessage ControlFor(IEnumerable<TopicRange> ranges, double validationRate = 0.2, double testRate = 0.2) =>
        ControlMessage.ForRanges(ranges, RawFormat.FormatName, RawConfig, "training job specs", validationRate, testRate);

    /// <summary>Produces the messages (to <paramref name="partition"/> when given) and returns where each landed, in order.</summary>
    public async Task<IReadOnlyList<DeliveryResult<byte[]?, byte[]?>>> ProduceAsync(string topic, IEnumerable<Message<byte[]?, byte[]?>> messages, int? partition = null)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = BootstrapServers, LingerMs = 1, SocketNagleDisable = true })
            .SetLogHandler((_, _) => { })
            .Build();
        var deliveries = messages.Select(m => partition is { } p
            ? producer.ProduceAsync(new TopicPartition(topic, p), m)
            : producer.ProduceAsync(topic, m)).ToList();
        return await Task.WhenAll(deliveries).WaitAsync(Eventually.Patience);
    }

    /// <summary>Every message now in <paramref name="topic"/>, partition by partition.</summary>
    public IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> ReadAll(string topic)
    {
        using var consumer = Consumer(fetchWaitMaxMs: 50);
        var ranges = Partitions(topic).Order()
            .Select(p => (Partition: p, Marks: consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(20))))
            .Select(x => new TopicRange(topic, x.Partition, x.Marks.Low.Value, x.Marks.High.Value))
            .ToList();
        return Read(consumer, ranges);
    }

    /// <summary>Exactly the messages in <paramref name="ranges"/>, in range order.</summary>
    public IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> ReadRanges(IEnumerable<TopicRange> ranges)
    {
        using var consumer = Consumer(fetchWaitMaxMs: 50);
        return Read(consumer, ranges.ToList());
    }

    /// <summary>Reads every partition of <paramref name="topic"/> from the beginning until <paramref name="done"/> says enough (or throws after the patience).</summary>
    public IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> ReadUntil(string topic, Func<IReadOnlyList<ConsumeResult<byte[]?, byte[]?>>, bool> done, TimeSpan? patience = null)
    {
        using var consumer = Consumer(fetchWaitMaxMs: 5);
        consumer.Assign(Partitions(topic).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var all = new List<ConsumeResult<byte[]?, byte[]?>>();
        var limit = patience ?? Eventually.Patience;
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

    /// <summary>The sum of the high watermarks of every partition of <paramref name="topic"/>: how many messages it ever received.</summary>
    public long HighWatermarkSum(string topic)
    {
        using var consumer = Consumer(fetchWaitMaxMs: 50);
        return Partitions(topic).Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(20)).High.Value);
    }

    public static string KeyOf(ConsumeResult<byte[]?, byte[]?> result) => result.Message.Key is { } key ? Encoding.UTF8.GetString(key) : "";

    public void Dispose()
    {
        _producer.Dispose();
        Broker.Dispose();
    }

    private static string NewId() => Guid.NewGuid().ToString("N")[..12];

    private IEnumerable<int> Partitions(string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        return [.. admin.GetMetadata(topic, TimeSpan.FromSeconds(20)).Topics.Single().Partitions.Select(p => p.PartitionId)];
    }

    /// <summary>Commits <paramref name="offsets"/> for consumer group <paramref name="groupId"/> (as if its consumer had).</summary>
    public void CommitOffsets(string groupId, IReadOnlyList<TopicPartitionOffset> offsets)
    {
        using var consumer = Consumer(fetchWaitMaxMs: 50, groupId);
        consumer.Commit(offsets);
    }

    private IConsumer<byte[]?, byte[]?> Consumer(int fetchWaitMaxMs, string? groupId = null) =>
        new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = groupId ?? $"reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            FetchWaitMaxMs = fetchWaitMaxMs,
        }).SetLogHandler((_, _) => { }).Build();

    private static List<ConsumeResult<byte[]?, byte[]?>> Read(IConsumer<byte[]?, byte[]?> consumer, IReadOnlyList<TopicRange> ranges)
    {
        var all = new List<ConsumeResult<byte[]?, byte[]?>>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var range in ranges.Where(r => r.Count > 0))
        {
            consumer.Assign(new TopicPartitionOffset(range.Topic, range.Partition, range.Start));
            while (true)
            {
                if (clock.Elapsed > Eventually.Patience) throw new TimeoutException($"{range} did not arrive within {Eventually.Patience}.");
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
