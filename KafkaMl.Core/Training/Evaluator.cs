using KafkaMl.Core.Domain;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Training;

/// <summary>The metrics of a model on a labelled set.</summary>
/// <param name="Metrics"><c>loss</c> plus the requested metrics (empty for an empty set).</param>
/// <param name="ConfusionMatrix">
/// For classifiers (cross-entropy; binary cross-entropy with one output): counts with rows = true
/// class and columns = predicted class; null otherwise.
/// </param>
public sealed record Evaluation(IReadOnlyDictionary<string, double> Metrics, int[][]? ConfusionMatrix);

/// <summary>Evaluates a model on labelled samples (the test split): in <c>eval()</c> mode, without gradients.</summary>
public static class Evaluator
{
    /// <summary>Samples per forward pass when evaluating.</summary>
    public const int DefaultBatchSize = 1024;

    /// <summary>
    /// The model's <c>loss</c> and <paramref name="metrics"/> on <paramref name="test"/> (see
    /// <see cref="MetricNames"/> for their definitions) and, for classifiers, the confusion matrix.
    /// Leaves the model in <c>eval()</c> mode. An empty set gives empty metrics and no matrix.
    /// </summary>
    public static Evaluation Evaluate(
        Module<Tensor, Tensor> model,
        SampleSet test,
        Loss loss,
        IEnumerable<string>? metrics,
        int batchSize = DefaultBatchSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var objective = new Objective(loss, metrics);
        if (test.Count == 0) return new Evaluation(new Dictionary<string, double>(), null);
        using var features = test.FeaturesTensor().DetachFromDisposeScope();
        var (targets, maxClass) = objective.Targets(test);
        using (targets)
        {
            var (result, confusion) = Run(model, objective, test, features, targets, maxClass, batchSize, confusion: true, cancellationToken);
            return new Evaluation(result, confusion);
        }
    }

    /// <summary>The evaluation loop shared with the trainer's validation.</summary>
    internal static (IReadOnlyDictionary<string, double> Metrics, int[][]? Confusion) Run(
        Module<Tensor, Tensor> model,
        Objective objective,
        SampleSet set,
        Tensor features,
        Tensor targets,
        long maxClass,
        int batchSize,
        bool confusion,
        CancellationToken cancellationToken)
    {
        model.eval();
        var accumulator = new MetricAccumulator(objective);
        long[]? counts = null;
        var classes = 0;
        using var noGrad = no_grad();
        var n = set.Count;
        for (var start = 0; start < n; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var size = Math.Min(batchSize, n - start);
            var x = features.narrow(0, start, size);
            var y = targets.narrow(0, start, size);
            var output = Objective.Flatten(Trainer.Forward(model, x, set), size);
            if (start == 0) objective.CheckFit(output, set, maxClass);
            var loss = objective.ComputeLoss(output, y);
            var statistics = objective.BatchStatistics(loss, output, y).data<double>().ToArray();
            accumulator.Add(statistics, size, output.shape[1]);
            if (confusion && objective.ConfusionClasses(output.shape[1]) is int c)
            {
                classes = c;
                counts ??= new long[c * c];
                var (truth, predicted) = objective.Classes(output, y);
                var cells = truth.mul(c).add(predicted).bincount(null, c * c).data<long>().ToArray();
                for (var i = 0; i < cells.Length; i++) counts[i] += cells[i];
            }
        }
        int[][]? matrix = null;
        if (counts is not null)
        {
            matrix = new int[classes][];
            for (var row = 0; row < classes; row++)
            {
                matrix[row] = new int[classes];
                for (var column = 0; column < classes; column++) matrix[row][column] = checked((int)counts[row * classes + column]);
            }
        }
        return (accumulator.Result(), matrix);
    }
}
