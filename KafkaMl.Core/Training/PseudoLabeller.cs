using System.Collections.Immutable;
using KafkaMl.Core.Domain;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Training;

/// <summary>What one pseudo-labelling pass over an unlabelled pool gave.</summary>
/// <param name="Added">The samples predicted with at least the confidence, labelled with their predicted class.</param>
/// <param name="Left">The samples still without a label, in their order.</param>
/// <param name="ClassCounts">How many of <paramref name="Added"/> each class got (class index → count), by class.</param>
public sealed record PseudoLabels(SampleSet? Added, SampleSet? Left, IReadOnlyDictionary<int, int> ClassCounts);

/// <summary>
/// Self-training's labelling step: predicts unlabelled samples in batches (a tensor per batch inside a dispose scope,
/// never one tensor of the whole pool), in <c>eval()</c> mode without gradients, and labels those whose top class
/// probability reaches the confidence with that class (<see cref="Objective.Confidences"/>: the same class the
/// evaluator and inference pick).
/// </summary>
public static class PseudoLabeller
{
    /// <summary>
    /// Why self-training cannot label samples for a model trained with <paramref name="loss"/> on labels of
    /// <paramref name="labelSize"/> values, or null when it can: it needs one class per sample with its probability
    /// (cross-entropy, or binary cross-entropy with one output), which a regression does not give.
    /// </summary>
    public static string? Problem(Loss loss, int labelSize) => loss switch
    {
        Loss.CrossEntropy => null,
        Loss.BinaryCrossEntropy when labelSize == 1 => null,
        Loss.BinaryCrossEntropy => $"Self-training needs one class per sample, but binary_cross_entropy here has {labelSize} labels per sample (multi-label); train with cross_entropy, or one binary label.",
        _ => $"Self-training needs class probabilities to pick confident pseudo-labels, but the loss {loss.ToName()} is a regression; semi-supervised training takes cross_entropy or binary_cross_entropy.",
    };

    /// <summary>
    /// Labels the samples of <paramref name="pool"/> the model predicts with at least <paramref name="confidence"/>, in
    /// the label layout of the labelled data (<paramref name="labelShape"/>: one value holding the class, or one-hot).
    /// </summary>
    public static PseudoLabels Label(
        Module<Tensor, Tensor> model,
        SampleSet pool,
        Loss loss,
        double confidence,
        ImmutableArray<int> labelShape,
        int batchSize = Evaluator.DefaultBatchSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var labelSize = labelShape.IsDefaultOrEmpty ? 1 : labelShape.Aggregate(1, (product, d) => product * d);
        if (Problem(loss, labelSize) is { } problem) throw new TrainingException(problem);
        var objective = new Objective(loss, null);
        var chosen = new List<int>();
        var classes = new List<long>();
        model.eval();
        using (no_grad())
        {
            for (var start = 0; start < pool.Count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var size = Math.Min(batchSize, pool.Count - start);
                var output = Objective.Flatten(Trainer.Forward(model, pool.FeaturesTensor(start, size), pool), size);
                var (predicted, sure) = objective.Confidences(output);
                var picked = predicted.data<long>().ToArray();
                var probability = sure.data<float>().ToArray();
                for (var i = 0; i < size; i++)
                {
                    if (probability[i] < confidence) continue;
                    chosen.Add(start + i);
                    classes.Add(picked[i]);
                }
            }
        }

        var counts = classes.GroupBy(c => (int)c).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        if (chosen.Count == 0) return new PseudoLabels(null, pool, counts);
        var labels = new float[chosen.Count * labelSize];
        for (var i = 0; i < classes.Count; i++)
        {
            if (labelSize == 1) labels[i] = classes[i];
            else labels[i * labelSize + (int)classes[i]] = 1f;
        }
        var added = pool.Select(chosen.ToArray()).WithLabels(labels, labelShape.IsDefaultOrEmpty ? [1] : labelShape);
        var rest = Enumerable.Range(0, pool.Count).Except(chosen).ToArray();
        return new PseudoLabels(added, rest.Length == 0 ? null : pool.Select(rest), counts);
    }
}
