using System.Globalization;
using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Training;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// One data set of <c>bench training</c> with its model and settings; <see cref="Features"/> holds the samples one after
/// another, in send order.
/// </summary>
internal sealed record TrainingWorkload(string Name, string Description, TrainingJobSpec Spec, float[] Features, int FeatureCount, float[] Labels)
{
    public const int HcopdEpochs = 500;
    public const int GeneratedEpochs = 10;

    private const string GeneratedScript =
        """Sequential(("fc1", Linear(10, 32)), ("relu", ReLU()), ("fc2", Linear(32, 2)))""";

    private const int GeneratedFeatures = 10;
    private const int GeneratedSeed = 7;

    /// <summary>RawSink's spread without a fixed partition: consecutive blocks of this many messages per partition.</summary>
    private const int SpreadBlock = 128;

    public int Count => Labels.Length;

    /// <summary>The HCOPD file with the paper's model, optimizer and batch.</summary>
    public static TrainingWorkload Hcopd(string path, int epochs)
    {
        var features = new List<float>();
        var labels = new List<float>();
        using (var csv = CsvSamples.Open(path, new CsvSampleOptions { Label = Bench.Hcopd.Label }))
        {
            while (csv.MoveNext())
            {
                foreach (var value in csv.Features) features.Add(value);
                labels.Add(csv.Label[0]);
            }
        }
        if (labels.Count == 0) throw new BenchFailure($"{path} holds no sample.");
        var width = features.Count / labels.Count;
        var spec = NewSpec(1, "hcopd", Bench.Hcopd.Script, batchSize: 10, epochs, learningRate: 0.01);
        return new TrainingWorkload("hcopd", string.Create(CultureInfo.InvariantCulture,
                $"{BenchText.Count(labels.Count)} samples x {width} float32 features ({Path.GetFileName(path)}, label Diagnosis), 2 classes; " +
                $"{Bench.Hcopd.Script}; lr 0.01, batch 10, {spec.Epochs} epochs (the paper's model, optimizer and batch)"),
            spec, [.. features], width, [.. labels]);
    }

    /// <summary>Two classes split by a seeded random hyperplane, with noise: normal features, learnable but not perfectly.</summary>
    public static TrainingWorkload Generated(int samples, int batch, int epochs)
    {
        var random = new Random(GeneratedSeed);
        var weights = new float[GeneratedFeatures];
        for (var j = 0; j < weights.Length; j++) weights[j] = Normal(random);
        var features = new float[samples * GeneratedFeatures];
        var labels = new float[samples];
        for (var i = 0; i < samples; i++)
        {
            var score = 0.5f * Normal(random);
            for (var j = 0; j < GeneratedFeatures; j++)
            {
                var value = Normal(random) * 2 + j;
                features[i * GeneratedFeatures + j] = value;
                score += weights[j] * (value - j);
            }
            labels[i] = score > 0 ? 1 : 0;
        }
        var spec = NewSpec(2, "generated", GeneratedScript, batch, epochs, learningRate: 0.01);
        return new TrainingWorkload("generated", string.Create(CultureInfo.InvariantCulture,
                $"{BenchText.Count(samples)} samples x {GeneratedFeatures} float32 features, 2 classes (a seeded random hyperplane plus noise); " +
                $"{GeneratedScript}; lr 0.01, batch {spec.BatchSize}, {spec.Epochs} epochs"),
            spec, features, GeneratedFeatures, labels);

        static float Normal(Random random) =>
            (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
    }

    private static TrainingJobSpec NewSpec(int deploymentId, string name, string code, int batchSize, int epochs, double learningRate) => new(
        ResultId: deploymentId,
        DeploymentId: deploymentId,
        ModelId: deploymentId,
        ModelName: name,
        ModelCode: code,
        BatchSize: batchSize,
        Epochs: epochs,
        LearningRate: learningRate,
        Optimizer: "adam",
        Loss: "cross_entropy",
        Metrics: ["accuracy"],
        Shuffle: true,
        EarlyStoppingPatience: null,
        EarlyStoppingMinDelta: null,
        ValidationRate: null, // the control message's rates, as a deployment without its own
        TestRate: null,
        Seed: 42);

    /// <summary>
    /// Sends the samples to <paramref name="topic"/> with RawSink, then their control message; <paramref name="online"/>:
    /// as an online stream instead (Kafka-ML's OnlineRawSink: the control message first, naming the bare topic).
    /// </summary>
    public async Task<SinkResult> ProduceAsync(
        string bootstrap, string topic, string controlTopic, IReadOnlyDictionary<string, string> kafkaSettings, CancellationToken cancellationToken,
        bool online = false)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = bootstrap,
            Topic = topic,
            ControlTopic = controlTopic,
            DeploymentId = Spec.DeploymentId,
            Description = $"bench training: {Name}",
            ValidationRate = TrainingContenders.Rate,
            TestRate = online ? 0 : TrainingContenders.Rate,
            Online = online,
            ProducerSettings = kafkaSettings,
        }, new RawFormatConfig(RawDataType.Float32, RawDataType.Float32));
        var width = FeatureCount;
        for (var i = 0; i < Count; i++)
        {
            if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            sink.Send(Features.AsSpan(i * width, width), Labels.AsSpan(i, 1));
        }
        var result = await sink.CompleteAsync(cancellationToken);
        if (result.Messages != Count)
            throw new BenchFailure($"the {Name} control message names {result.Messages} messages, not {Count}.");
        return result;
    }

    /// <summary>
    /// The samples in the order the job assembles them: range after range of the control message, offsets in order.
    /// RawSink spreads consecutive blocks of <see cref="SpreadBlock"/> messages over the partitions in turn, so a
    /// partition's k-th message is the k-th sample sent to it. (The report's metrics check confirms the order.)
    /// </summary>
    public SampleSet InJobOrder(IReadOnlyList<TopicRange> ranges, int partitions)
    {
        var perPartition = new Dictionary<int, List<int>>();
        for (var i = 0; i < Count; i++)
        {
            var partition = i / SpreadBlock % partitions;
            if (!perPartition.TryGetValue(partition, out var list)) perPartition[partition] = list = [];
            list.Add(i);
        }
        var firstOffset = ranges.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Min(r => r.Start));
        var order = new List<int>(Count);
        foreach (var range in ranges)
        {
            if (!perPartition.TryGetValue(range.Partition, out var sent) || range.End - firstOffset[range.Partition] > sent.Count)
                throw new BenchFailure($"the range {range} does not fit the samples sent to partition {range.Partition}.");
            for (var offset = range.Start; offset < range.End; offset++) order.Add(sent[(int)(offset - firstOffset[range.Partition])]);
        }
        if (order.Count != Count) throw new BenchFailure($"the ranges name {order.Count} samples, not {Count}.");
        return SampleSet.FromArrays(Features, [FeatureCount], Labels).Select(order.ToArray());
    }
}
