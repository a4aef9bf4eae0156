using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;

namespace KafkaMl.Core.Sinks;

/// <summary>What to measure: the stream <see cref="SinkBenchmark"/> sends.</summary>
public sealed record SinkBenchmarkOptions
{
    /// <summary>The data topic (a fresh name per run by default, so ranges start at 0).</summary>
    public string Topic { get; init; } = $"kafkaml-bench-{Guid.NewGuid():N}";

    /// <summary>Where the benchmark's control message goes: not the real control topic, so no datasource is recorded.</summary>
    public string ControlTopic { get; init; } = "KAFKA_ML_BENCH_CONTROL_TOPIC";

    public long DeploymentId { get; init; }

    /// <summary>Floats per sample (3, as in the throughput target).</summary>
    public int Features { get; init; } = 3;

    public int? Partition { get; init; }

    public IReadOnlyDictionary<string, string>? ProducerSettings { get; init; }
}

/// <summary>The outcome of a <see cref="SinkBenchmark"/> run.</summary>
public sealed record SinkBenchmarkResult(long Messages, long Bytes, TimeSpan Elapsed, IReadOnlyList<TopicRange> Ranges)
{
    /// <summary>Acknowledged messages per second, from the first send until the last data message was acknowledged.</summary>
    public double MessagesPerSecond => Elapsed > TimeSpan.Zero ? Messages / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Measures <see cref="RawSink"/> throughput: sends <c>count</c> float32 samples of
/// <see cref="SinkBenchmarkOptions.Features"/> values with a float32 label, completes the sink, and
/// reports delivered messages per second. Samples are generated before the clock starts. Writes
/// nothing to the console; a CLI verb renders the progress and the result.
/// </summary>
public static class SinkBenchmark
{
    public static async Task<SinkBenchmarkResult> RunAsync(
        string bootstrapServers, int count, SinkBenchmarkOptions? options = null,
        IProgress<SinkProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        options ??= new SinkBenchmarkOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Features, 1);

        const int distinct = 1024;
        var random = new Random(42);
        var samples = new float[distinct * options.Features];
        for (var i = 0; i < samples.Length; i++) samples[i] = random.NextSingle();
        var labels = new float[distinct];
        for (var i = 0; i < labels.Length; i++) labels[i] = i % 2;

        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = bootstrapServers,
            Topic = options.Topic,
            ControlTopic = options.ControlTopic,
            DeploymentId = options.DeploymentId,
            Description = $"RawSink benchmark: {count} samples of {options.Features} floats",
            Partition = options.Partition,
            Progress = progress,
            ProgressInterval = Math.Max(1, count / 100),
            ProducerSettings = options.ProducerSettings,
        }, new RawFormatConfig(RawDataType.Float32, RawDataType.Float32));

        var width = options.Features;
        for (var i = 0; i < count; i++)
        {
            if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            var n = i % distinct;
            sink.Send(samples.AsSpan(n * width, width), labels.AsSpan(n, 1));
        }
        var result = await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return new SinkBenchmarkResult(result.Messages, result.Bytes, result.Elapsed, result.Ranges);
    }
}
