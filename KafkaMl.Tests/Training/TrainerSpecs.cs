using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Tests.Training;

[Collection(TorchGlobalState.Name)]
public sealed class TrainerSpecs
{
    [Theory]
    [InlineData(Optimizer.Sgd, 0.1)]
    [InlineData(Optimizer.Adam, 0.05)]
    [InlineData(Optimizer.AdamW, 0.05)]
    [InlineData(Optimizer.RmsProp, 0.01)]
    public async Task A_classifier_learns_separable_classes_with_every_optimizer(Optimizer optimizer, double learningRate)
    {
        var split = TrainingData.TwoBlobs(240, seed: 1).Split(0.2, 0, seed: 1);
        using var model = TrainingData.Mlp(2, 2);

        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation,
            TrainingData.Settings(optimizer, epochs: 10, learningRate: learningRate), null, CancellationToken.None);

        Assert.True(outcome.ValidationMetrics[MetricNames.Accuracy] >= 0.9, $"validation accuracy {outcome.ValidationMetrics[MetricNames.Accuracy]}");
        Assert.True(outcome.TrainMetrics[MetricNames.Accuracy] >= 0.9, $"training accuracy {outcome.TrainMetrics[MetricNames.Accuracy]}");
    }

    [Theory]
    [InlineData(Loss.Mse)]
    [InlineData(Loss.Mae)]
    public async Task A_regression_reaches_a_low_loss(Loss loss)
    {
        var split = TrainingData.LinearRelation(300, seed: 2).Split(0.2, 0, seed: 2);
        Trainer.SeedTorch(3);
        using var model = Linear(2, 1);

        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation,
            TrainingData.Settings(Optimizer.Adam, loss, epochs: 40, learningRate: 0.05, metrics: [MetricNames.Mse, MetricNames.Mae]), null, CancellationToken.None);

        Assert.True(outcome.ValidationMetrics[MetricNames.Mse] < 0.01, $"validation mse {outcome.ValidationMetrics[MetricNames.Mse]}");
        Assert.True(outcome.ValidationMetrics[MetricNames.Loss] < outcome.History[0].Validation[MetricNames.Loss] / 10);
    }

    [Fact]
    public async Task Binary_cross_entropy_on_a_single_logit_learns_separable_classes()
    {
        var split = TrainingData.TwoBlobs(240, seed: 4).Split(0.2, 0, seed: 4);
        using var model = TrainingData.Mlp(2, 1);

        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation,
            TrainingData.Settings(Optimizer.Adam, Loss.BinaryCrossEntropy, epochs: 10), null, CancellationToken.None);

        Assert.True(outcome.ValidationMetrics[MetricNames.Accuracy] >= 0.9, $"validation accuracy {outcome.ValidationMetrics[MetricNames.Accuracy]}");
    }

    [Fact]
    public async Task Progress_gets_one_report_per_epoch_in_order_with_train_and_validation_metrics()
    {
        var split = TrainingData.TwoBlobs(100, seed: 5).Split(0.2, 0, seed: 5);
        using var model = TrainingData.Mlp(2, 2);
        var progress = new RecordingProgress<EpochReport>();

        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation,
            TrainingData.Settings(epochs: 5, metrics: [MetricNames.Accuracy, MetricNames.Mae]), progress, CancellationToken.None);

        Assert.Equal([1, 2, 3, 4, 5], progress.Reports.Select(r => r.Epoch));
        Assert.All(progress.Reports, r =>
        {
            Assert.Equal(5, r.Epochs);
            Assert.Equal(["accuracy", "loss", "mae"], r.Train.Keys.Order());
            Assert.Equal(["accuracy", "loss", "mae"], r.Validation.Keys.Order());
        });
        Assert.Equal(progress.Reports, outcome.History);
        Assert.Equal(5, outcome.BestEpoch);
        Assert.False(outcome.StoppedEarly);
    }

    [Fact]
    public async Task Without_a_validation_split_the_validation_metrics_are_empty()
    {
        using var model = TrainingData.Mlp(2, 2);

        var outcome = await Trainer.TrainAsync(model, TrainingData.TwoBlobs(40, seed: 6), null,
            TrainingData.Settings(epochs: 2), null, CancellationToken.None);

        Assert.All(outcome.History, r => Assert.Empty(r.Validation));
        Assert.Empty(outcome.ValidationMetrics);
        Assert.Contains(MetricNames.Loss, outcome.TrainMetrics.Keys);
    }

    [Fact]
    public async Task Training_is_repeatable_from_the_same_weights_and_seed()
    {
        var split = TrainingData.TwoBlobs(100, seed: 7).Split(0.2, 0, seed: 7);
        using var first = TrainingData.Mlp(2, 2, seed: 1);
        using var second = TrainingData.Mlp(2, 2, seed: 2);
        using (no_grad())
            foreach (var (name, tensor) in second.state_dict()) tensor.copy_(first.state_dict()[name]);

        async Task<double[]> Losses(Module<Tensor, Tensor> model)
        {
            var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation, TrainingData.Settings(epochs: 3), null, CancellationToken.None);
            return [.. outcome.History.SelectMany(r => new[] { r.Train[MetricNames.Loss], r.Validation[MetricNames.Loss] })];
        }

        Assert.Equal(await Losses(first), await Losses(second));
    }

    [Fact]
    public async Task Early_stopping_stops_before_the_last_epoch_on_a_plateau()
    {
        var split = TrainingData.TwoBlobs(100, seed: 8).Split(0.2, 0, seed: 8);
        using var model = TrainingData.Mlp(2, 2);
        var settings = TrainingData.Settings(epochs: 20, learningRate: 1e-9) with { EarlyStopping = new EarlyStopping(Patience: 2, MinDelta: 1e-3) };

        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation, settings, null, CancellationToken.None);

        Assert.True(outcome.StoppedEarly);
        Assert.Equal(3, outcome.EpochsRun);
    }

    [Fact]
    public async Task Early_stopping_restores_the_weights_of_the_best_validation_epoch()
    {
        // The validation labels are the training labels flipped: the better the model learns, the worse it validates.
        var train = TrainingData.TwoBlobs(200, seed: 9);
        var validation = Flipped(TrainingData.TwoBlobs(40, seed: 10));
        using var model = TrainingData.Mlp(2, 2);
        var settings = TrainingData.Settings(epochs: 20, learningRate: 0.05) with { EarlyStopping = new EarlyStopping(Patience: 2) };

        var outcome = await Trainer.TrainAsync(model, train, validation, settings, null, CancellationToken.None);

        Assert.True(outcome.StoppedEarly);
        Assert.Equal(1, outcome.BestEpoch);
        Assert.Equal(outcome.History[0].Validation, outcome.ValidationMetrics);
        var now = Evaluator.Evaluate(model, validation, Loss.CrossEntropy, [MetricNames.Accuracy]);
        Assert.Equal(outcome.History[0].Validation[MetricNames.Loss], now.Metrics[MetricNames.Loss], 1e-5);
    }

    [Fact]
    public async Task Cancellation_stops_training_between_batches_with_OperationCanceledException()
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new RecordingProgress<EpochReport>(_ => cancellation.Cancel());
        using var model = TrainingData.Mlp(2, 2);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Trainer.TrainAsync(model, TrainingData.TwoBlobs(100, seed: 11), null,
            TrainingData.Settings(epochs: 50), progress, cancellation.Token));

        Assert.Single(progress.Reports);
    }

    [Fact]
    public async Task Samples_that_do_not_fit_the_model_fail_naming_the_sample_shape_and_the_model_error()
    {
        using var model = TrainingData.Mlp(3, 2);

        var error = await Assert.ThrowsAsync<TrainingException>(() => Trainer.TrainAsync(model, TrainingData.TwoBlobs(20, seed: 12), null,
            TrainingData.Settings(epochs: 1), null, CancellationToken.None));

        Assert.Contains("samples of shape [2]", error.Message);
        Assert.Contains("[16, 2]", error.Message);
        Assert.Contains("3", error.Message.Split(':', 2)[1]);
    }

    [Fact]
    public async Task Class_labels_beyond_the_model_outputs_are_rejected()
    {
        using var model = TrainingData.Mlp(2, 2);
        var samples = SampleSet.FromArrays([0, 0, 1, 1, 2, 2], [2], [0, 1, 2]);

        var error = await Assert.ThrowsAsync<TrainingException>(() => Trainer.TrainAsync(model, samples, null,
            TrainingData.Settings(epochs: 1), null, CancellationToken.None));

        Assert.Contains("class 2", error.Message);
        Assert.Contains("only 2 values", error.Message);
    }

    [Fact]
    public async Task A_loss_that_becomes_infinite_fails_with_a_hint_at_the_learning_rate()
    {
        Trainer.SeedTorch(13);
        using var model = Linear(2, 1);
        var samples = SampleSet.FromArrays([1000, 1000, -1000, 1000, 1000, -1000], [2], [1e6f, 0, -1e6f]);

        var error = await Assert.ThrowsAsync<TrainingException>(() => Trainer.TrainAsync(model, samples, null,
            TrainingData.Settings(Optimizer.Sgd, Loss.Mse, epochs: 50, learningRate: 1e6, batchSize: 1, metrics: [MetricNames.Mse]), null, CancellationToken.None));

        Assert.Contains("learning rate", error.Message);
    }

    [Fact]
    public void Unknown_metrics_are_rejected_before_training()
    {
        var error = Assert.Throws<ArgumentException>(() => (TrainingData.Settings() with { Metrics = ["accuracy", "f1"] }).Validate());

        Assert.Contains("'f1'", error.Message);
    }

    [Fact]
    public void Keras_metric_names_are_understood()
    {
        Assert.Equal(["accuracy", "mse", "mae"], MetricNames.Normalize(["mean_absolute_error", "acc", "mean_squared_error", "loss"]));
    }

    [Fact]
    public void Settings_follow_the_deployment_and_its_rate_overrides()
    {
        var deployment = new Deployment
        {
            BatchSize = 10, Epochs = 7, LearningRate = 0.01, Optimizer = Optimizer.RmsProp, Loss = Loss.Mae, Metrics = ["mse"],
            Shuffle = false, EarlyStoppingPatience = 3, EarlyStoppingMinDelta = 0.1, TestRate = 0.3,
        };

        var settings = TrainingSettings.From(deployment, validationRate: 0.1, testRate: 0.2, seed: 5);

        Assert.Equal((10, 7, 0.01, Optimizer.RmsProp, Loss.Mae, false, 5), (settings.BatchSize, settings.Epochs, settings.LearningRate, settings.Optimizer, settings.Loss, settings.Shuffle, settings.Seed));
        Assert.Equal(["mse"], settings.Metrics);
        Assert.Equal(new EarlyStopping(3, 0.1), settings.EarlyStopping);
        Assert.Equal((0.1, 0.3), (settings.ValidationRate, settings.TestRate));
    }

    private static SampleSet Flipped(SampleSet set) =>
        SampleSet.FromArrays(set.Features.ToArray(), set.FeatureShape, set.Labels.ToArray().Select(l => 1 - l).ToArray(), set.LabelShape);
}
