using static TorchSharp.torch.nn;

namespace KafkaMl.Tests.Training;

/// <summary>An identity model makes the features the outputs, so every prediction is chosen by hand.</summary>
public sealed class EvaluatorSpecs
{
    [Fact]
    public void The_confusion_matrix_counts_true_classes_by_row_and_predicted_classes_by_column()
    {
        using var model = IdentityModel();
        var samples = SampleSet.FromArrays(
            features:
            [
                5, 0, 0, // true 0, predicted 0
                3, 1, 0, // true 0, predicted 0
                0, 2, 1, // true 0, predicted 1
                0, 9, 0, // true 1, predicted 1
                7, 0, 1, // true 2, predicted 0
                0, 0, 4, // true 2, predicted 2
            ],
            featureShape: [3],
            labels: [0, 0, 0, 1, 2, 2]);

        var evaluation = Evaluator.Evaluate(model, samples, Loss.CrossEntropy, [MetricNames.Accuracy]);

        Assert.Equal([[2, 1, 0], [0, 1, 0], [1, 0, 1]], evaluation.ConfusionMatrix);
        Assert.Equal(4.0 / 6, evaluation.Metrics[MetricNames.Accuracy], 1e-9);
        Assert.True(evaluation.Metrics[MetricNames.Loss] > 0);
    }

    [Fact]
    public void The_confusion_matrix_adds_up_across_batches()
    {
        using var model = IdentityModel();
        var features = Enumerable.Range(0, 50).SelectMany(i => i % 2 == 0 ? new float[] { 1, 0 } : [0, 1]).ToArray();
        var labels = Enumerable.Range(0, 50).Select(i => i % 5 == 0 ? 1f : 0f).ToArray();

        var evaluation = Evaluator.Evaluate(model, SampleSet.FromArrays(features, [2], labels), Loss.CrossEntropy, [], batchSize: 7);

        // Predicted class = i % 2; true class = (i % 5 == 0).
        Assert.Equal([[20, 20], [5, 5]], evaluation.ConfusionMatrix);
    }

    [Fact]
    public void A_single_logit_is_a_binary_classifier_thresholded_at_a_sigmoid_of_one_half()
    {
        using var model = IdentityModel();
        var samples = SampleSet.FromArrays([2, -1, 0.5f, -3], [1], [1, 1, 0, 0]);

        var evaluation = Evaluator.Evaluate(model, samples, Loss.BinaryCrossEntropy, [MetricNames.Accuracy]);

        Assert.Equal([[1, 1], [1, 1]], evaluation.ConfusionMatrix);
        Assert.Equal(0.5, evaluation.Metrics[MetricNames.Accuracy], 1e-9);
    }

    [Fact]
    public void A_regression_reports_mse_and_mae_and_has_no_confusion_matrix()
    {
        using var model = IdentityModel();
        var samples = SampleSet.FromArrays([1, 2, 3], [1], [1, 1, 1]);

        var evaluation = Evaluator.Evaluate(model, samples, Loss.Mse, [MetricNames.Mse, MetricNames.Mae]);

        Assert.Null(evaluation.ConfusionMatrix);
        Assert.Equal(5.0 / 3, evaluation.Metrics[MetricNames.Loss], 1e-6);
        Assert.Equal(5.0 / 3, evaluation.Metrics[MetricNames.Mse], 1e-6);
        Assert.Equal(1.0, evaluation.Metrics[MetricNames.Mae], 1e-6);
    }

    [Fact]
    public void Classification_mse_compares_the_softmax_with_the_one_hot_label()
    {
        using var model = IdentityModel();
        var samples = SampleSet.FromArrays([0, 0], [2], [1]);

        var evaluation = Evaluator.Evaluate(model, samples, Loss.CrossEntropy, [MetricNames.Mse, MetricNames.Mae]);

        Assert.Equal(0.25, evaluation.Metrics[MetricNames.Mse], 1e-6);
        Assert.Equal(0.5, evaluation.Metrics[MetricNames.Mae], 1e-6);
        Assert.Equal(Math.Log(2), evaluation.Metrics[MetricNames.Loss], 1e-6);
    }

    [Fact]
    public void Evaluating_no_samples_gives_no_metrics()
    {
        using var model = IdentityModel();
        var none = TrainingData.Numbered(10).Split(0.1, 0, seed: 1).Test;

        var evaluation = Evaluator.Evaluate(model, none, Loss.Mse, [MetricNames.Mse]);

        Assert.Empty(evaluation.Metrics);
        Assert.Null(evaluation.ConfusionMatrix);
    }

    [Fact]
    public void The_predictor_returns_every_sample_s_outputs_and_their_argmax()
    {
        using var model = IdentityModel();
        var predictor = new InferenceModel(model, loss: Loss.CrossEntropy);

        var predictions = predictor.Predict(SampleSet.FromArrays([1, 5, 2, 9, 0, 0, 7, 1, 3], [3]), batchSize: 2);

        Assert.Equal([1, 0, 0], predictions.Select(p => p.Class));
        Assert.Equal([7f, 1, 3], predictions[2].Values);
    }

    [Fact]
    public void The_predictor_applies_the_training_standardisation()
    {
        using var model = IdentityModel();
        var predictor = new InferenceModel(model, new FeatureScaler([10, 0], [2, 4]));

        var prediction = predictor.Predict([12f, -8f]);

        Assert.Equal([1f, -2f], prediction.Values);
        Assert.Equal(0, prediction.Class);
    }

    [Fact]
    public void The_predictor_turns_a_single_logit_into_a_class_only_for_binary_cross_entropy()
    {
        using var model = IdentityModel();
        var samples = new[] { new DecodedSample([0.3f], [1], null, []), new DecodedSample([-0.3f], [1], null, []) };

        Assert.Equal([1, 0], new InferenceModel(model, loss: Loss.BinaryCrossEntropy).Predict(samples).Select(p => p.Class));
        Assert.All(new InferenceModel(model, loss: Loss.Mse).Predict(samples), p => Assert.Null(p.Class));
    }

    private static Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> IdentityModel() => Sequential(("id", Identity()));
}
