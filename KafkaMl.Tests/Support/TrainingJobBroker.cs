using Confluent.Kafka;
using KafkaMl.Core.Broker;
using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Tests.Support;

/// <summary>
/// One embedded broker for every training-job spec, and a producer to write data and control messages with.
/// Each spec uses topics of its own (<see cref="NewTopics"/>).
/// </summary>
public sealed class TrainingJobBroker : IDisposable
{
    /// <summary>The longest any spec waits for something that should happen (generous: the machine is shared).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);

    private readonly EmbeddedBroker _broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly IDataEncoder _raw = DataFormats.CreateEncoder(RawFormat.FormatName, InputConfig.Empty);

    public TrainingJobBroker()
    {
        _producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(_broker.BootstrapServers, "training-job-specs"))
            .SetLogHandler((_, _) => { })
            .Build();
    }

    public string BootstrapServers => _broker.BootstrapServers;

    /// <summary>The RAW input_config of <see cref="SendSample"/>'s messages (float32 features and label, flat).</summary>
    public InputConfig RawConfig => InputConfig.From(_raw.InputConfig);

    /// <summary>A fresh data topic and control topic (one partition, as KafkaMl creates it).</summary>
    public (string Data, string Control) NewTopics(int dataPartitions = 4)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var topics = ($"job-data-{id}", $"job-control-{id}");
        _broker.CreateTopic(topics.Item1, dataPartitions);
        _broker.CreateTopic(topics.Item2, 1);
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

    public void Dispose()
    {
        _producer.Dispose();
        _broker.Dispose();
    }
}

/// <summary>
/// The training-job specs share one broker. They seed TorchSharp and set its thread count (process-wide), so
/// they run alone, after the parallel collections, never interleaved with other training specs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingJobCollection : ICollectionFixture<TrainingJobBroker>
{
    public const string Name = "Training jobs against the embedded broker";
}
