using TorchSharp;

namespace KafkaMl.Tests.Training;

/// <summary>The engines run on the calling thread when called synchronously, so this thread's tensor statistics see all they create.</summary>
[Collection(TorchGlobalState.Name)]
public sealed class TensorLifetimeSpecs
{
    [Fact]
    public void Training_and_evaluating_leave_no_tensor_alive()
    {
        var split = TrainingData.TwoBlobs(200, seed: 1).Split(0.1, 0.1, seed: 1);
        using var model = TrainingData.HcopdLike(2);
        var settings = TrainingData.Settings(epochs: 3, batchSize: 8) with { EarlyStopping = new EarlyStopping(1, 10) };
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        Trainer.Train(model, split.Train, split.Validation, settings, null, CancellationToken.None);
        Evaluator.Evaluate(model, split.Test, Loss.CrossEntropy, [MetricNames.Accuracy, MetricNames.Mse, MetricNames.Mae]);
        new InferenceModel(model, loss: Loss.CrossEntropy).Predict(split.Test);

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
