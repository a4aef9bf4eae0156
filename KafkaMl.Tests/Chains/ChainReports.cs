using KafkaMl.Core.Chains;

namespace KafkaMl.Tests.Chains;

/// <summary>Chain reports as a training job uploads them: three exits whose trade-off moves answers to the final stage as the threshold rises.</summary>
internal static class ChainReports
{
    public static ChainResultReport AThreeExitReport() => new(
        [0.25, 0.25, 0.5],
        [AnExit(1, 0.7), AnExit(2, 0.85), AnExit(3, 0.95)],
        [.. ExitTradeOff.Thresholds.Select(ARow)],
        SuggestedThreshold: 0.7,
        Tolerance: ExitTradeOff.DefaultTolerance);

    private static ExitResultReport AnExit(int exit, double accuracy) => new(
        exit,
        new Dictionary<string, double> { ["loss"] = 1 - accuracy, ["accuracy"] = accuracy + 0.01 },
        new Dictionary<string, double> { ["loss"] = 1.05 - accuracy, ["accuracy"] = accuracy },
        new Dictionary<string, double> { ["loss"] = 1.1 - accuracy, ["accuracy"] = accuracy - 0.01 },
        [[8, 2], [1, 9]]);

    /// <summary>Below 0.5 exit 1 answers all; from 0.5 to 1 half move up a stage per 0.25; above 1 the final stage answers all (accuracy 0.94).</summary>
    private static ExitTradeOffRow ARow(double threshold) => threshold switch
    {
        < 0.5 => new(threshold, [1, 0, 0], 0.69),
        < 0.75 => new(threshold, [0.5, 0.5, 0], 0.8),
        <= 1 => new(threshold, [0.25, 0.25, 0.5], 0.935),
        _ => new(threshold, [0, 0, 1], 0.94),
    };
}
