using System.Collections.Concurrent;

namespace KafkaMl.Tests.Support;

/// <summary>Confluent.Kafka clients tuned for quick, bounded tests against a local broker.</summary>
internal static class KafkaTestClients
{
    public static IProducer<string, string> Producer(string bootstrapServers) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            Acks = Acks.All,
            LingerMs = 0,
            MessageTimeoutMs = 30_000,
        }).Build();

    public static ConsumerBuilder<string, string> ConsumerBuilder(string bootstrapServers, string groupId) =>
        new(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 10_000,
            HeartbeatIntervalMs = 500,
            FetchWaitMaxMs = 50,
        });

    public static IAdminClient Admin(string bootstrapServers) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();

    public static TopicMetadata TopicMetadata(string bootstrapServers, string topic)
    {
        using var admin = Admin(bootstrapServers);
        return admin.GetMetadata(topic, TimeSpan.FromSeconds(20)).Topics.Single(t => t.Topic == topic);
    }

    public static async Task ProduceAsync(string bootstrapServers, string topic, IEnumerable<Message<string, string>> messages, Func<int, Partition>? partitionOf = null)
    {
        using var producer = Producer(bootstrapServers);
        var deliveries = messages.Select((message, i) => partitionOf is null
            ? producer.ProduceAsync(topic, message)
            : producer.ProduceAsync(new TopicPartition(topic, partitionOf(i)), message));
        await Task.WhenAll(deliveries).WaitAsync(Eventually.Patience);
    }

    /// <summary>Reads partition 0 of <paramref name="topic"/> from the beginning until <paramref name="count"/> messages arrived.</summary>
    public static IReadOnlyList<ConsumeResult<string, string>> ConsumeFromStart(string bootstrapServers, string topic, int count)
    {
        using var consumer = ConsumerBuilder(bootstrapServers, $"read-{Guid.NewGuid():N}").Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var received = new List<ConsumeResult<string, string>>();
        using var deadline = new CancellationTokenSource(Eventually.Patience);
        while (received.Count < count)
        {
            if (deadline.IsCancellationRequested)
                throw new TimeoutException($"Only {received.Count} of {count} messages arrived from {topic} within {Eventually.Patience}");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result) received.Add(result);
        }
        consumer.Close();
        return received;
    }

    public static IEnumerable<Message<string, string>> Messages(int count, string prefix = "") =>
        Enumerable.Range(0, count).Select(i => new Message<string, string> { Key = $"{prefix}k{i}", Value = $"{prefix}v{i}" });
}

/// <summary>
/// A subscribed group member consuming on its own thread (as a background loop would), recording
/// its current assignment and everything it receives.
/// </summary>
internal sealed class GroupMember : IDisposable
{
    private readonly object _gate = new();
    private readonly HashSet<int> _assigned = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private Exception? _failure;

    public GroupMember(string bootstrapServers, string groupId, string topic)
    {
        var consumer = KafkaTestClients.ConsumerBuilder(bootstrapServers, groupId)
            .SetPartitionsAssignedHandler((_, partitions) => { lock (_gate) foreach (var p in partitions) _assigned.Add(p.Partition.Value); })
            .SetPartitionsRevokedHandler((_, partitions) => { lock (_gate) foreach (var p in partitions) _assigned.Remove(p.Partition.Value); })
            .SetPartitionsLostHandler((_, partitions) => { lock (_gate) foreach (var p in partitions) _assigned.Remove(p.Partition.Value); })
            .Build();
        consumer.Subscribe(topic);
        _thread = new Thread(() => Run(consumer)) { IsBackground = true, Name = $"consumer {groupId}" };
        _thread.Start();
    }

    public ConcurrentQueue<ConsumeResult<string, string>> Received { get; } = new();

    public IReadOnlySet<int> Assigned { get { lock (_gate) return _assigned.ToHashSet(); } }

    private void Run(IConsumer<string, string> consumer)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result) Received.Enqueue(result);
            }
            consumer.Close();
        }
        catch (Exception ex)
        {
            _failure = ex;
        }
        finally
        {
            consumer.Dispose();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (!_thread.Join(TimeSpan.FromSeconds(30))) throw new TimeoutException("A consumer did not stop within 30 s");
        _stop.Dispose();
        if (_failure is not null) throw new InvalidOperationException("A consumer failed", _failure);
    }
}
