using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Chains;

/// <summary>A trained chain's part of the training result (<see cref="ChainResultReport"/>): every exit's metrics and the exit trade-off.</summary>
internal static class ChainResults
{
    /// <summary>
    /// Every exit's final train/validation metrics (split out of <paramref name="outcome"/>'s by their exit prefix), its
    /// test metrics and confusion matrix, and the trade-off on <paramref name="test"/> with the suggested threshold.
    /// </summary>
    public static ChainResultReport Build(EarlyExitChain chain, TrainingOutcome outcome, SampleSet test, TrainingSettings settings, CancellationToken cancellationToken)
    {
        var objective = new Objective(settings.Loss, settings.Metrics);
        // Per-exit test accuracy is what the trade-off is about: always measured for a classifier.
        IReadOnlyList<string> testMetrics = objective.Loss is Loss.CrossEntropy or Loss.BinaryCrossEntropy
            ? [.. objective.Metrics, MetricNames.Accuracy]
            : objective.Metrics;
        var exits = new List<ExitResultReport>(chain.ExitCount);
        for (var exit = 1; exit <= chain.ExitCount; exit++)
        {
            var evaluation = Evaluator.Evaluate(chain.Exit(exit), test, settings.Loss, testMetrics, cancellationToken: cancellationToken);
            exits.Add(new ExitResultReport(exit, Of(outcome.TrainMetrics, exit, chain.ExitCount), Of(outcome.ValidationMetrics, exit, chain.ExitCount),
                evaluation.Metrics, evaluation.ConfusionMatrix));
        }
        var answers = ExitTradeOff.Answer(chain, objective, test, cancellationToken);
        var rows = answers is null ? null : ExitTradeOff.Rows(answers);
        return new ChainResultReport(chain.ExitWeights, exits, rows, rows is null ? null : ExitTradeOff.Suggest(rows), ExitTradeOff.DefaultTolerance);
    }

    /// <summary>Exit <paramref name="exit"/>'s metrics under their plain names: the prefixed ones of an early exit, the unprefixed ones of the final exit.</summary>
    public static IReadOnlyDictionary<string, double> Of(IReadOnlyDictionary<string, double> metrics, int exit, int exitCount)
    {
        if (exit < exitCount)
        {
            var prefix = ChainMetricNames.Exit(exit, "");
            return metrics.Where(m => m.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(m => m.Key[prefix.Length..], m => m.Value, StringComparer.Ordinal);
        }
        var early = Enumerable.Range(1, exitCount - 1).Select(k => ChainMetricNames.Exit(k, "")).ToList();
        return metrics
            .Where(m => m.Key != ChainMetricNames.JointLoss && !early.Any(p => m.Key.StartsWith(p, StringComparison.Ordinal)))
            .ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
    }
}
