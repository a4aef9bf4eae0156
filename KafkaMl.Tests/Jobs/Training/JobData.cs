using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>Test-data builders for training jobs: specs, scripts, samples and contexts.</summary>
internal static class JobData
{
    /// <summary>The paper's HCOPD classifier.</summary>
    public const string HcopdScript =
        """Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))""";

    /// <summary>A small classifier of 2 features into 2 classes.</summary>
    public const string TwoFeatureScript =
        """Sequential(("fc1", Linear(2, 8)), ("relu", ReLU()), ("fc2", Linear(8, 2)))""";

    private static int _nextDeployment = 100;

    /// <summary>A deployment id no other spec uses (control topics are per spec anyway).</summary>
    public static int NewDeploymentId() => Interlocked.Increment(ref _nextDeployment);

    public static TrainingJobSpec Spec(int deploymentId, string code = TwoFeatureScript, int epochs = 3, int batchSize = 8, int resultId = 7) => new(
        ResultId: resultId,
        DeploymentId: deploymentId,
        ModelId: 3,
        ModelName: "mlp",
        ModelCode: code,
        BatchSize: batchSize,
        Epochs: epochs,
        LearningRate: 0.05,
        Optimizer: "adam",
        Loss: "cross_entropy",
        Metrics: ["accuracy"],
        Shuffle: true,
        EarlyStoppingPatience: null,
        EarlyStoppingMinDelta: null,
        ValidationRate: null,
        TestRate: null,
        Seed: 42);

    public static TrainingJobContext Context(BrokerFixture broker, string controlTopic, int resultId = 7, TimeSpan? missingDataTimeout = null) => new()
    {
        ResultId = resultId,
        BootstrapServers = broker.BootstrapServers,
        ControlTopic = controlTopic,
        MissingDataTimeout = missingDataTimeout ?? TimeSpan.FromSeconds(60),
        WaitLogInterval = TimeSpan.FromSeconds(5),
    };

    /// <summary>Runs a training job over <paramref name="controlTopic"/> of the shared broker to its end (within the patience).</summary>
    public static Task<TrainingJobOutcome> RunJobAsync(BrokerFixture broker, string controlTopic, ITrainingReporter reporter, IProgress<string>? log = null) =>
        TrainingJob.RunAsync(Context(broker, controlTopic), reporter, log, CancellationToken.None).WaitAsync(Eventually.Patience);

    /// <summary>
    /// Two separable classes of 2 features: class 0 around (−2, −2), class 1 around (2, 2), alternating.
    /// </summary>
    public static IEnumerable<(float[] Features, float Label)> Blobs(int count, int seed = 1)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var label = i % 2;
            var centre = label == 0 ? -2f : 2f;
            yield return ([centre + (float)(random.NextDouble() - 0.5), centre + (float)(random.NextDouble() - 0.5)], label);
        }
    }

    /// <summary>The HCOPD samples (Gender, Age, Smoking; label Diagnosis) in a fixed random order (the file is sorted by diagnosis; a live stream is not).</summary>
    public static List<(float[] Features, float Label)> HcopdShuffled()
    {
        var csv = Path.Combine(KafkaMlProcess.RepoRoot, "samples", "hcopd", "hcopd.csv");
        using var samples = CsvSamples.Open(csv, new CsvSampleOptions { Label = "Diagnosis", Features = ["Gender", "Age", "Smoking"] });
        var all = new List<(float[], float)>();
        while (samples.MoveNext()) all.Add((samples.Features.ToArray(), samples.Label[0]));
        var random = new Random(7);
        return [.. all.OrderBy(_ => random.Next())];
    }

    /// <summary>Samples no spec may train on: their label (5) is no class of a 2-output model, so training on them fails.</summary>
    public static IEnumerable<(float[] Features, float Label)> Poison(int count) =>
        Enumerable.Range(0, count).Select(_ => (new[] { 1000f, -1000f }, 5f));
}

/// <summary>Collects log lines synchronously.</summary>
internal sealed class LogLines : IProgress<string>
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines
    {
        get { lock (_lines) return [.. _lines]; }
    }

    public void Report(string value)
    {
        lock (_lines) _lines.Add(value);
    }

    public override string ToString() => string.Join(Environment.NewLine, Lines);
}
