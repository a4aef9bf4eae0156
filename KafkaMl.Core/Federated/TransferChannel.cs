using Confluent.Kafka;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Federated;

/// <summary>What a <see cref="TransferReader"/> read: a transfer, a rejected one, or nothing new (at the end of the topic).</summary>
public sealed record TransferRead(ReceivedTransfer? Transfer, TransferRejectedException? Rejected, bool AtEnd);

/// <summary>
/// Reads the transfers of one round topic (one partition) from its beginning, as a plain assignment (no group, nothing
/// committed: the topic itself is the record, read again after a restart).
/// </summary>
public sealed class TransferReader : IDisposable
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly TransferAssembler _assembler = new();

    public TransferReader(string bootstrapServers, string topic, string clientId, IReadOnlyDictionary<string, string>? settings = null, ILogger? logger = null)
    {
        var config = KafkaClientConfig.Consumer(bootstrapServers, $"{clientId}-{Guid.NewGuid():N}", clientId, settings: settings);
        config.EnableAutoCommit = false;
        config.EnablePartitionEof = true;
        config.TopicMetadataRefreshIntervalMs = FederatedTopics.MetadataRefreshMs;
        _consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, log) => KafkaClientConfig.Log(logger, log))
            .Build();
        _consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
    }

    /// <summary>The next transfer (or rejection) within <paramref name="wait"/>; <see cref="TransferRead.AtEnd"/> when the topic has nothing more now.</summary>
    public TransferRead Next(TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return new TransferRead(null, null, AtEnd: true);
            ConsumeResult<byte[], byte[]>? consumed;
            try
            {
                consumed = _consumer.Consume(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                continue; // the topic does not exist yet: nothing to read until it does
            }
            if (consumed is null) continue;
            if (consumed.IsPartitionEOF) return new TransferRead(null, null, AtEnd: true);
            if (TransferMessage.FromKafka(consumed.Message) is not { } message) continue;
            try
            {
                if (_assembler.Add(message) is { } transfer) return new TransferRead(transfer, null, AtEnd: false);
            }
            catch (TransferRejectedException e)
            {
                return new TransferRead(null, e, AtEnd: false);
            }
        }
    }

    public void Dispose()
    {
        _consumer.Close();
        _consumer.Dispose();
    }
}

/// <summary>Publishes transfers and announcements with one producer (ordered: chunks before their manifest).</summary>
public sealed class TransferPublisher : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;

    public TransferPublisher(string bootstrapServers, string clientId, IReadOnlyDictionary<string, string>? settings = null, ILogger? logger = null)
    {
        var config = KafkaClientConfig.Producer(bootstrapServers, clientId, settings: settings);
        config.MaxInFlight = 1; // the manifest must follow its chunks
        _producer = new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, log) => KafkaClientConfig.Log(logger, log))
            .Build();
    }

    /// <summary>
    /// Makes sure <paramref name="topics"/> exist before anyone reads them: a producer's metadata request creates a missing
    /// topic where the cluster auto-creates topics (the embedded broker does; a cluster that does not needs them created).
    /// </summary>
    public void EnsureTopics(IEnumerable<string> topics)
    {
        using var admin = new DependentAdminClientBuilder(_producer.Handle).Build();
        foreach (var topic in topics) admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends the messages of one transfer to partition 0 of <paramref name="topic"/>, each delivered before the next.</summary>
    public async Task PublishAsync(string topic, IReadOnlyList<TransferMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
            await _producer.ProduceAsync(new TopicPartition(topic, 0), message.ToKafka(), cancellationToken);
    }

    /// <summary>Sends one message (an announcement) keyed by <paramref name="key"/>.</summary>
    public Task SendAsync(string topic, string key, byte[] value, CancellationToken cancellationToken) =>
        _producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(key), Value = value }, cancellationToken);

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
