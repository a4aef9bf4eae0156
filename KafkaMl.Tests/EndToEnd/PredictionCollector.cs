namespace KafkaMl.Tests.EndToEnd;

/// <summary>
/// Reads an inference's output topic from its start on a thread of its own, keeping every prediction with its key (the
/// input's), so a test can wait on what has arrived while it goes on producing. Reads partitions it assigns itself: no
/// consumer group, so nothing it does can rebalance anyone.
/// </summary>
internal sealed class PredictionCollector : IDisposable
{
    private readonly object _gate = new();
    private readonly List<(string Key, PredictionMessage Prediction)> _received = [];
    private readonly string _bootstrapServers;
    private readonly List<TopicPartition> _partitions;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private Exception? _failure;

    public PredictionCollector(string bootstrapServers, string topic)
    {
        _bootstrapServers = bootstrapServers;
        _partitions = [.. KafkaTestClients.TopicMetadata(bootstrapServers, topic).Partitions.Select(p => new TopicPartition(topic, p.PartitionId))];
        _thread = new Thread(Read) { IsBackground = true, Name = $"collect {topic}" };
        _thread.Start();
    }

    /// <summary>Every prediction read so far, in the order read.</summary>
    public IReadOnlyList<(string Key, PredictionMessage Prediction)> Received
    {
        get
        {
            lock (_gate)
            {
                if (_failure is not null) throw new InvalidOperationException("Reading the predictions failed.", _failure);
                return [.. _received];
            }
        }
    }

    /// <summary>Waits until the predictions read so far satisfy <paramref name="done"/>; returns them.</summary>
    public Task<IReadOnlyList<(string Key, PredictionMessage Prediction)>> UntilAsync(
        Func<IReadOnlyList<(string Key, PredictionMessage Prediction)>, bool> done, string what) =>
        Eventually.Until(() => Received, done,
            received => $"{what}; {received.Count} prediction(s) read, versions {string.Join(",", received.Select(r => r.Prediction.ModelVersion).Distinct())}");

    /// <summary>How many messages the output topic holds now (the sum of its partitions' end offsets).</summary>
    public long MessagesOnTopic()
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = _bootstrapServers, GroupId = $"e2e-ends-{Guid.NewGuid():N}" }).Build();
        return _partitions.Sum(p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
    }

    private void Read()
    {
        try
        {
            using var consumer = new ConsumerBuilder<byte[]?, byte[]>(new ConsumerConfig
            {
                BootstrapServers = _bootstrapServers,
                GroupId = $"e2e-collector-{Guid.NewGuid():N}", // required by the client; never joined (partitions are assigned)
                EnableAutoCommit = false,
                FetchWaitMaxMs = 50,
            }).Build();
            consumer.Assign(_partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
            while (!_stop.IsCancellationRequested)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { IsPartitionEOF: false } record) continue;
                var key = record.Message.Key is { } bytes ? Encoding.UTF8.GetString(bytes) : "";
                var prediction = PredictionMessage.Parse(record.Message.Value);
                lock (_gate) _received.Add((key, prediction));
            }
            consumer.Close();
        }
        catch (Exception e)
        {
            lock (_gate) _failure = e;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(30));
        _stop.Dispose();
    }
}
