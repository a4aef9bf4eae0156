using System.Buffers.Binary;

namespace KafkaMl.Tests.EndToEnd;

/// <summary>
/// Kafka-ML's Python <c>OnlineRawSink</c> reduced to what reaches the wire, written by hand and sharing no code with
/// KafkaMl's sinks (so a test of it checks the wire contract, not KafkaMl against itself): one control message first —
/// the JSON of issue 15 with a bare topic, <c>total_msg</c> null and <c>incremental</c> true, keyed by the deployment id
/// as one raw byte — then the samples, each a value of little-endian float32 features (numpy's <c>tobytes()</c>) and
/// a key of its uint8 label. Every sample goes to partition 0, so the windows the job reads follow the order sent.
/// </summary>
internal sealed class KafkaMlOnlineStream(string bootstrapServers, string topic) : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer =
        new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, Acks = Acks.All, LingerMs = 5 }).Build();

    public string Topic => topic;

    /// <summary>Sends the control message for deployment <paramref name="deploymentId"/> (1..255: its key is one byte).</summary>
    public async Task AnnounceAsync(string controlTopic, int deploymentId, double validationRate)
    {
        Assert.InRange(deploymentId, 1, byte.MaxValue);
        var control = string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""
            {"topic": "{{topic}}", "unsupervised_topic": null, "input_format": "RAW", "description": "",
             "input_config": {"data_type": "float32", "label_type": "uint8", "data_reshape": "3", "label_reshape": "1"},
             "validation_rate": {{validationRate}}, "test_rate": 0, "total_msg": null, "dataset_restrictions": {}, "incremental": true}
            """);
        await _producer.ProduceAsync(controlTopic, new Message<byte[], byte[]> { Key = [(byte)deploymentId], Value = Encoding.UTF8.GetBytes(control) });
    }

    /// <summary>Sends one chunk of the stream and waits until the broker has all of it.</summary>
    public async Task SendAsync(IEnumerable<(float[] Features, float Label)> rows)
    {
        var partition = new TopicPartition(topic, 0);
        await Task.WhenAll(rows.Select(row => _producer.ProduceAsync(partition, new Message<byte[], byte[]>
        {
            Key = [checked((byte)row.Label)],
            Value = Float32(row.Features),
        })));
    }

    /// <summary>Features as Kafka-ML's RAW format carries them: little-endian float32, one after another.</summary>
    public static byte[] Float32(float[] features)
    {
        var bytes = new byte[features.Length * sizeof(float)];
        for (var i = 0; i < features.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), features[i]);
        return bytes;
    }

    public void Dispose() => _producer.Dispose();
}
