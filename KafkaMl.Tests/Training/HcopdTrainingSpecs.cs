namespace KafkaMl.Tests.Training;

/// <summary>The Kafka-ML paper's COPD example, trained in memory the way a training job does it.</summary>
[Collection(TorchGlobalState.Name)]
public sealed class HcopdTrainingSpecs
{
    /// <summary>
    /// The paper's settings (Adam, lr 1e-4, batch 10) leave this MLP predicting the majority class after
    /// 100 epochs; Adam at lr 1e-2 with batch 10 for 50 epochs reaches a test accuracy of 0.875–1.0 over seeds.
    /// </summary>
    public static TrainingSettings Settings { get; } = new()
    {
        Optimizer = Optimizer.Adam,
        Loss = Loss.CrossEntropy,
        LearningRate = 0.01,
        BatchSize = 10,
        Epochs = 50,
        Metrics = [MetricNames.Accuracy],
        ValidationRate = 0.1,
        TestRate = 0.1,
        Seed = 42,
        TorchThreads = 1,
    };

    [Fact]
    public async Task The_paper_MLP_on_standardised_HCOPD_features_reaches_80_percent_test_accuracy()
    {
        var samples = TrainingData.Hcopd();
        var (split, _) = samples.Split(Settings.ValidationRate, Settings.TestRate, Settings.Seed).Standardize();
        using var model = TrainingData.HcopdModel(Settings.Seed);

        await Trainer.TrainAsync(model, split.Train, split.Validation, Settings, null, CancellationToken.None);
        var test = Evaluator.Evaluate(model, split.Test, Settings.Loss, Settings.Metrics);

        Assert.Equal((239, 24), (samples.Count, split.Test.Count));
        Assert.True(test.Metrics[MetricNames.Accuracy] >= 0.80, $"test accuracy {test.Metrics[MetricNames.Accuracy]}");
        Assert.Equal(24, test.ConfusionMatrix!.Sum(row => row.Sum()));
    }
}
