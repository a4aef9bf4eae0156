using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;
using static TorchSharp.torch;

namespace KafkaMl.Core.Chains;

/// <summary>
/// Each test sample's answer at every exit of a chain: how confident the exit is (its top class probability) and
/// whether its class is right. <c>[exit][sample]</c>, exit 1 first.
/// </summary>
public sealed record ExitAnswers(IReadOnlyList<float[]> Confidence, IReadOnlyList<bool[]> Correct)
{
    public int Exits => Confidence.Count;

    public int Samples => Confidence.Count == 0 ? 0 : Confidence[0].Length;
}

/// <summary>
/// The exit trade-off of a chain: for a confidence threshold, a sample leaves at the first exit whose top probability
/// is at least the threshold (the final stage answers the rest); how many leave at each exit, and how accurate the
/// answers are. The threshold deployed chain stages compare against, computed on the test split.
/// </summary>
public static class ExitTradeOff
{
    /// <summary>How far below the final exit's accuracy a suggested threshold may be: 1 point.</summary>
    public const double DefaultTolerance = 0.01;

    /// <summary>The threshold standing for "above 1": no early exit answers, the final stage answers everything.</summary>
    public const double AboveOne = 1.05;

    /// <summary>0, 0.05, ..., 1 and then <see cref="AboveOne"/>.</summary>
    public static IReadOnlyList<double> Thresholds { get; } = [.. Enumerable.Range(0, 22).Select(i => i / 20.0)];

    /// <summary>One row per threshold of <see cref="Thresholds"/>.</summary>
    public static IReadOnlyList<ExitTradeOffRow> Rows(ExitAnswers answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return [.. Thresholds.Select(t => Row(answers, t))];
    }

    /// <summary>The shares answered at each exit and the accuracy at <paramref name="threshold"/>.</summary>
    public static ExitTradeOffRow Row(ExitAnswers answers, double threshold)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var answered = new int[answers.Exits];
        var correct = 0;
        for (var i = 0; i < answers.Samples; i++)
        {
            var exit = 0;
            while (exit < answers.Exits - 1 && answers.Confidence[exit][i] < threshold) exit++;
            answered[exit]++;
            if (answers.Correct[exit][i]) correct++;
        }
        var n = Math.Max(1, answers.Samples);
        return new ExitTradeOffRow(threshold, [.. answered.Select(a => (double)a / n)], (double)correct / n);
    }

    /// <summary>
    /// The lowest threshold whose accuracy is at least the final exit's (the last row's: everything answered by the
    /// final stage) minus <paramref name="tolerance"/>; null when there are no rows.
    /// </summary>
    public static double? Suggest(IReadOnlyList<ExitTradeOffRow> rows, double tolerance = DefaultTolerance)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) return null;
        var wanted = rows[^1].Accuracy - tolerance - 1e-12; // the rows' accuracies are ratios of counts: no rounding slack needed beyond this
        return rows.First(r => r.Accuracy >= wanted).Threshold;
    }

    /// <summary>
    /// Every exit's answer to every sample of <paramref name="test"/> (one pass through the chain per batch, in
    /// <c>eval()</c> mode without gradients); null when the loss gives no class probabilities.
    /// </summary>
    internal static ExitAnswers? Answer(EarlyExitChain chain, Objective objective, SampleSet test, CancellationToken cancellationToken)
    {
        if (test.Count == 0 || objective.Loss is not (Loss.CrossEntropy or Loss.BinaryCrossEntropy)) return null;
        var confidence = Enumerable.Range(0, chain.ExitCount).Select(_ => new float[test.Count]).ToArray();
        var correct = Enumerable.Range(0, chain.ExitCount).Select(_ => new bool[test.Count]).ToArray();
        chain.eval();
        using var noGrad = no_grad();
        using var features = test.FeaturesTensor().DetachFromDisposeScope();
        var (targets, _) = objective.Targets(test);
        using (targets)
        {
            for (var start = 0; start < test.Count; start += Evaluator.DefaultBatchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var size = Math.Min(Evaluator.DefaultBatchSize, test.Count - start);
                var y = targets.narrow(0, start, size);
                var outputs = chain.ForwardExits(features.narrow(0, start, size));
                for (var k = 0; k < outputs.Count; k++)
                {
                    var output = Objective.Flatten(outputs[k], size);
                    if (objective.Loss == Loss.BinaryCrossEntropy && output.shape[1] != 1) return null;
                    var (truth, predicted) = objective.Classes(output, y);
                    objective.Confidences(output).Confidence.contiguous().data<float>().CopyTo(confidence[k].AsSpan(start, size));
                    var right = truth.eq(predicted).data<bool>().ToArray();
                    for (var i = 0; i < size; i++) correct[k][start + i] = right[i];
                }
            }
        }
        return new ExitAnswers(confidence, correct);
    }
}
