using System.Diagnostics;
using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>One contender's run: its wall time and when each block of acknowledged messages completed.</summary>
internal sealed record SinkRun(long Messages, TimeSpan Elapsed, TimeSpan HandOff, IReadOnlyList<TimeSpan> Crossings)
{
    public double MessagesPerSecond => Messages / Elapsed.TotalSeconds;

    /// <summary>Messages per second handed to librdkafka by the sending thread (the CPU cost per message on the caller's side).</summary>
    public double HandOffPerSecond => Messages / HandOff.TotalSeconds;

    /// <summary>Time until the first block was acknowledged (includes connecting and the idempotent producer's id).</summary>
    public double? FirstBlockMilliseconds => Crossings.Count >= 1 ? Crossings[0].TotalMilliseconds : null;

    /// <summary>Duration of every later block.</summary>
    public IEnumerable<double> LaterBlockMilliseconds => Crossings.Skip(1).Zip(Crossings, (later, earlier) => (later - earlier).TotalMilliseconds);
}

/// <summary>
/// The two contenders of <c>bench sink</c>, sending the same samples to the same broker with the same producer settings:
/// a bare producer of pre-encoded payloads (the baseline) and <see cref="RawSink"/>.
/// </summary>
internal sealed class SinkContenders
{
    /// <summary>Where RawSink's control message goes: not the real control topic, so no datasource is recorded.</summary>
    public const string ControlTopic = "KAFKA_ML_BENCH_CONTROL_TOPIC";

    /// <summary>KafkaSink's spread: consecutive blocks of this many messages per partition.</summary>
    private const int SpreadBlock = 128;

    private readonly string _bootstrap;
    private readonly int _block;
    private readonly IReadOnlyDictionary<string, string> _producerSettings;
    private readonly SinkBenchmarkSamples _samples;

    /// <summary>The baseline's payloads: the samples' RAW encoding, ready-made.</summary>
    private readonly byte[][] _values = new byte[SinkBenchmarkSamples.Distinct][];

    private readonly byte[][] _keys = new byte[SinkBenchmarkSamples.Distinct][];

    public SinkContenders(string bootstrap, int block, IReadOnlyDictionary<string, string> producerSettings, int features)
    {
        _bootstrap = bootstrap;
        _block = block;
        _producerSettings = producerSettings;
        _samples = SinkBenchmarkSamples.Create(features);
        var encoder = new RawEncoder(new RawFormatConfig(RawDataType.Float32, RawDataType.Float32));
        for (var i = 0; i < SinkBenchmarkSamples.Distinct; i++)
        {
            var message = encoder.Encode(_samples.FeaturesOf(i), _samples.LabelOf(i));
            _values[i] = message.Value;
            _keys[i] = message.Key!;
        }
    }

    public SinkRun RunBaseline(string topic, int count, CancellationToken cancellationToken)
    {
        long delivered = 0;
        long spread = 0;
        Error? firstError = null;
        using var producer = new ProducerBuilder<byte[], byte[]>(ProducerConfig("kafkaml-bench-baseline"))
            .SetPartitioner(topic, (_, partitions, _, _) => new Partition((int)((Interlocked.Increment(ref spread) - 1) / SpreadBlock % partitions)))
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, error) => { if (error.IsFatal) Interlocked.CompareExchange(ref firstError, error, null); })
            .Build();
        Action<DeliveryReport<byte[], byte[]>> onDelivery = report =>
        {
            if (report.Error.IsError) Interlocked.CompareExchange(ref firstError, report.Error, null);
            Interlocked.Increment(ref delivered);
        };
        var target = new TopicPartition(topic, Partition.Any);

        var clock = Stopwatch.StartNew();
        using var blocks = new BlockClock(() => Interlocked.Read(ref delivered), _block, clock);
        for (var i = 0; i < count; i++)
        {
            if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            var n = i % SinkBenchmarkSamples.Distinct;
            var message = new Message<byte[], byte[]> { Key = _keys[n], Value = _values[n] };
            while (true)
            {
                try
                {
                    producer.Produce(target, message, onDelivery);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    Thread.Sleep(1);
                }
            }
        }
        var handOff = clock.Elapsed;
        producer.Flush(cancellationToken);
        var spinner = new SpinWait();
        while (Interlocked.Read(ref delivered) < count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            spinner.SpinOnce(sleep1Threshold: 20);
        }
        clock.Stop();
        if (Volatile.Read(ref firstError) is { } error) throw new BenchFailure($"the baseline producer failed: {error.Reason} ({error.Code})");
        return new SinkRun(count, clock.Elapsed, handOff, blocks.Finish());
    }

    public async Task<SinkRun> RunSinkAsync(string topic, int count, CancellationToken cancellationToken)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = _bootstrap,
            Topic = topic,
            ControlTopic = ControlTopic,
            DeploymentId = 0,
            Description = $"bench sink: {count} samples of {_samples.Features} floats",
            ProducerSettings = _producerSettings,
        }, new RawFormatConfig(RawDataType.Float32, RawDataType.Float32));

        var clock = Stopwatch.StartNew();
        using var blocks = new BlockClock(() => sink.MessagesDelivered, _block, clock);
        SinkResult result;
        TimeSpan handOff;
        try
        {
            for (var i = 0; i < count; i++)
            {
                if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                sink.Send(_samples.FeaturesOf(i), _samples.LabelOf(i));
            }
            handOff = clock.Elapsed;
            result = await sink.CompleteAsync(cancellationToken);
        }
        catch (SinkDeliveryException e)
        {
            throw new BenchFailure($"RawSink failed: {e.Message}");
        }
        clock.Stop();
        if (result.Messages != count)
            throw new BenchFailure($"RawSink's control message names {result.Messages} messages, not {count}.");
        return new SinkRun(count, clock.Elapsed, handOff, blocks.Finish());
    }

    private ProducerConfig ProducerConfig(string clientId)
    {
        var config = new ProducerConfig
        {
            // The same settings as KafkaSink's producer.
            BootstrapServers = _bootstrap,
            ClientId = clientId,
            LingerMs = 5,
            QueueBufferingMaxMessages = 1_000_000,
            QueueBufferingMaxKbytes = 1024 * 1024,
            Acks = Acks.All,
            EnableIdempotence = true,
            MessageTimeoutMs = 120_000,
            DeliveryReportFields = "none",
        };
        foreach (var (key, value) in _producerSettings) config.Set(key, value);
        return config;
    }
}
