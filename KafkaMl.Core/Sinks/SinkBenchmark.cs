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
/// The samples a sink benchmark sends, generated before any clock starts: <see cref="Distinct"/> seeded random samples of
/// <see cref="Features"/> float32 values with a float32 label (0 and 1 in turn), sent over and over.
/// </summary>
public sealed class SinkBenchmarkSamples
{
    /// <summary>How many different samples there are; the i-th sample sent is sample <c>i % Distinct</c>.</summary>
    public const int Distinct = 1024;

    private readonly float[] _features;
    private readonly float[] _labels;

    private SinkBenchmarkSamples(int features, float[] values, float[] labels)
    {
        Features = features;
        _features = values;
        _labels = labels;
    }

    /// <summary>Floats per sample.</summary>
    public int Features { get; }

    public static SinkBenchmarkSamples Create(int features)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        var random = new Random(42);
        var values = new float[Distinct * features];
        for (var i = 0; i < values.Length; i++) values[i] = random.NextSingle();
        var labels = new float[Distinct];
        for (var i = 0; i < labels.Length; i++) labels[i] = i % 2;
        return new SinkBenchmarkSamples(features, values, labels);
    }

    /// <summary>The features of the <paramref name="index"/>-th sample sent.</summary>
    public ReadOnlySpan<float> FeaturesOf(int index) => _features.AsSpan(index % Distinct * Features, Features);

    /// <summary>The label of the <paramref name="index"/>-th sample sent.</summary>
    public ReadOnlySpan<float> LabelOf(int index) => _labels.AsSpan(index % Distinct, 1);
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

        var samples = SinkBenchmarkSamples.Create(options.Features);

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

        for (var i = 0; i < count; i++)
        {
            if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            sink.Send(samples.FeaturesOf(i), samples.LabelOf(i));
        }
        var result = await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
        return new SinkBenchmarkResult(result.Messages, result.Bytes, result.Elapsed, result.Ranges);
    }
}
