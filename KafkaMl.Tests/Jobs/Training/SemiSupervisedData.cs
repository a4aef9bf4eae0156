using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>Test-data builders for semi-supervised training: generated sets, unlabelled messages sent the Kafka-ML way, specs.</summary>
internal static class SemiSupervisedData
{
    /// <summary>Kafka-ML's dummy key of an unlabelled message: one byte 0.</summary>
    public static readonly byte[] DummyKey = [0];

    /// <summary>
    /// Two Gaussian blobs in <paramref name="dimensions"/> dimensions (deviation 1 in every direction), seeded, their
    /// centres <paramref name="separation"/> apart along the first axis, the classes alternating: the best possible
    /// accuracy is Φ(separation / 2), and a model that sees few labels also fits the other, uninformative axes.
    /// </summary>
    public static List<(float[] Features, float Label)> Blobs(int count, int dimensions, double separation, int seed)
    {
        var random = new Random(seed);
        var samples = new List<(float[], float)>(count);
        for (var i = 0; i < count; i++)
        {
            var label = i % 2;
            var features = new float[dimensions];
            for (var d = 0; d < dimensions; d++) features[d] = (float)Gaussian(random);
            features[0] += (float)((label - 0.5) * separation);
            samples.Add((features, label));
        }
        return samples;
    }

    /// <summary>
    /// Writes <paramref name="samples"/> unlabelled the way Kafka-ML's sinks write to an <c>unsupervised_topic</c> (the
    /// dummy key, the RAW float32 features as value) to one partition, and returns the range they occupy.
    /// </summary>
    public static async Task<TopicRange> SendUnlabelled(BrokerFixture broker, string topic, int partition, IEnumerable<float[]> samples)
    {
        var encoder = DataFormats.CreateEncoder(RawFormat.FormatName, broker.RawConfig);
        var messages = samples.Select(features => new Message<byte[]?, byte[]?> { Key = DummyKey, Value = encoder.Encode(features, []).Value });
        return await SendRaw(broker, topic, partition, messages);
    }

    /// <summary>Writes messages as they are to one partition and returns the range they occupy.</summary>
    public static async Task<TopicRange> SendRaw(BrokerFixture broker, string topic, int partition, IEnumerable<Message<byte[]?, byte[]?>> messages)
    {
        var delivered = await broker.ProduceAsync(topic, messages, partition);
        return new TopicRange(topic, partition, delivered[0].Offset.Value, delivered[^1].Offset.Value + 1);
    }

    /// <summary>A semi-supervised spec of the two-feature classifier.</summary>
    public static TrainingJobSpec Spec(int deployment, int epochs = 30, int batchSize = 16, int rounds = 5, double confidence = 0.9, string code = JobData.TwoFeatureScript) =>
        JobData.Spec(deployment, code: code, epochs: epochs, batchSize: batchSize, resultId: deployment) with
        {
            SemiSupervised = new SemiSupervisedSettings(rounds, confidence),
        };

    /// <summary>Runs the job of result <paramref name="resultId"/> (a spec of <see cref="Spec"/>: the deployment's id) to its end.</summary>
    public static Task<TrainingJobOutcome> RunAsync(BrokerFixture broker, string controlTopic, RecordingReporter reporter, int resultId, IProgress<string>? log, CancellationToken cancellationToken = default) =>
        TrainingJob.RunAsync(JobData.Context(broker, controlTopic, resultId), reporter, log, cancellationToken).WaitAsync(Eventually.Patience);

    /// <summary>
    /// Sends <paramref name="labelled"/> samples to a fresh data topic, <paramref name="unlabelled"/> ones the Kafka-ML
    /// way to its unsupervised topic, and the bounded control message of both to a fresh control topic for a new deployment.
    /// </summary>
    public static async Task<SentStreams> SendAsync(BrokerFixture broker, IEnumerable<(float[] Features, float Label)> labelled, IEnumerable<float[]> unlabelled,
        double validationRate = 0.2, double testRate = 0.2)
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var labelledRange = await broker.SendSamples(data, 0, labelled);
        var unlabelledRange = await SendUnlabelled(broker, data + "-unlabelled", 0, unlabelled);
        await broker.SendControl(control, deployment, Control(broker, [labelledRange], [unlabelledRange], validationRate, testRate));
        return new SentStreams(data, control, deployment, labelledRange, unlabelledRange);
    }

    /// <summary>The bounded control message of labelled <paramref name="labelled"/> and unlabelled <paramref name="unlabelled"/> ranges.</summary>
    public static ControlMessage Control(BrokerFixture broker, IEnumerable<TopicRange> labelled, IEnumerable<TopicRange> unlabelled, double validationRate, double testRate) =>
        broker.ControlFor(labelled, validationRate, testRate) with { UnsupervisedTopic = TopicRanges.Format(unlabelled) };

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

/// <summary>What <see cref="SemiSupervisedData.SendAsync"/> sent: the topics, the deployment the control message is for, and the two ranges.</summary>
internal sealed record SentStreams(string Data, string Control, int Deployment, TopicRange Labelled, TopicRange Unlabelled);
