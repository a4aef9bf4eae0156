using System.Collections.Immutable;
using System.Globalization;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Tests.Training;

/// <summary>Small data sets and models for the training engine's specs.</summary>
internal static class TrainingData
{
    /// <summary>Two Gaussian blobs in 2-d, centred at (−2, −2) (class 0) and (2, 2) (class 1): linearly separable.</summary>
    public static SampleSet TwoBlobs(int count, int seed)
    {
        var random = new Random(seed);
        var features = new float[count * 2];
        var labels = new float[count];
        for (var i = 0; i < count; i++)
        {
            var label = i % 2;
            var centre = label == 0 ? -2f : 2f;
            features[2 * i] = centre + (float)Gaussian(random) * 0.7f;
            features[2 * i + 1] = centre + (float)Gaussian(random) * 0.7f;
            labels[i] = label;
        }
        return SampleSet.FromArrays(features, [2], labels, [1]);
    }

    /// <summary>y = 1.5·x0 − 2·x1 + 0.5 + small noise, x uniform in [−1, 1]².</summary>
    public static SampleSet LinearRelation(int count, int seed)
    {
        var random = new Random(seed);
        var features = new float[count * 2];
        var labels = new float[count];
        for (var i = 0; i < count; i++)
        {
            var x0 = (float)(random.NextDouble() * 2 - 1);
            var x1 = (float)(random.NextDouble() * 2 - 1);
            features[2 * i] = x0;
            features[2 * i + 1] = x1;
            labels[i] = 1.5f * x0 - 2f * x1 + 0.5f + (float)Gaussian(random) * 0.01f;
        }
        return SampleSet.FromArrays(features, [2], labels, [1]);
    }

    /// <summary>Samples numbered 0..count−1: feature = [index, index·10], label = index.</summary>
    public static SampleSet Numbered(int count)
    {
        var features = new float[count * 2];
        var labels = new float[count];
        for (var i = 0; i < count; i++)
        {
            features[2 * i] = i;
            features[2 * i + 1] = i * 10;
            labels[i] = i;
        }
        return SampleSet.FromArrays(features, [2], labels, [1]);
    }

    /// <summary>A 2-layer MLP, seeded so its initial weights are always the same.</summary>
    public static Module<Tensor, Tensor> Mlp(int inputs, int outputs, int seed = 7, int hidden = 8)
    {
        Trainer.SeedTorch(seed);
        return Sequential(("fc1", Linear(inputs, hidden)), ("relu", ReLU()), ("fc2", Linear(hidden, outputs)));
    }

    /// <summary>A small MLP with dropout, seeded.</summary>
    public static Module<Tensor, Tensor> HcopdLike(int inputs, int seed = 7)
    {
        Trainer.SeedTorch(seed);
        return Sequential(("drop", Dropout(0.2)), ("fc1", Linear(inputs, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)));
    }

    /// <summary>The paper's HCOPD model: Dropout 0.2 → Linear(3, 4) → Sigmoid → Linear(4, 2).</summary>
    public static Module<Tensor, Tensor> HcopdModel(int seed)
    {
        Trainer.SeedTorch(seed);
        return Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)));
    }

    /// <summary>
    /// The HCOPD sample (Diagnosis, Gender, Age, Smoking; label Diagnosis) from <c>samples/hcopd/hcopd.csv</c>
    /// at the repository root when the project ships it there, else from this folder's <c>TestData</c> copy.
    /// </summary>
    public static SampleSet Hcopd()
    {
        var root = RepositoryRoot();
        var path = new[] { Path.Combine(root, "samples", "hcopd", "hcopd.csv"), Path.Combine(root, "KafkaMl.Tests", "Training", "TestData", "hcopd.csv") }
            .First(File.Exists);
        var builder = SampleSet.CreateBuilder(256);
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var cells = line.Split(',').Select(c => float.Parse(c, CultureInfo.InvariantCulture)).ToArray();
            builder.Add(new DecodedSample(cells[1..], [3], [cells[0]], [1]));
        }
        return builder.Build();
    }

    public static TrainingSettings Settings(Optimizer optimizer = Optimizer.Adam, Loss loss = Loss.CrossEntropy, int epochs = 20,
        double learningRate = 0.05, int batchSize = 16, params string[] metrics) => new()
    {
        Optimizer = optimizer,
        Loss = loss,
        Epochs = epochs,
        LearningRate = learningRate,
        BatchSize = batchSize,
        Metrics = metrics.Length == 0 ? [MetricNames.Accuracy] : metrics,
        Seed = 11,
        TorchThreads = 1,
    };

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "KafkaMl.sln"))) return directory.FullName;
        throw new DirectoryNotFoundException($"No KafkaMl.sln above {AppContext.BaseDirectory}.");
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

/// <summary>An <see cref="IProgress{T}"/> that records reports synchronously, in the order they arrive.</summary>
internal sealed class RecordingProgress<T>(Action<T>? onReport = null) : IProgress<T>
{
    private readonly List<T> _reports = [];

    public IReadOnlyList<T> Reports
    {
        get { lock (_reports) return [.. _reports]; }
    }

    public void Report(T value)
    {
        lock (_reports) _reports.Add(value);
        onReport?.Invoke(value);
    }
}
