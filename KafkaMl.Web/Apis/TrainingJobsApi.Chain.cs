using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Apis;

// An early-exit chain's part of the result report ("chain"): stored with the result, shown by GET /api/results/{id}
// and what chain inference takes its default thresholds and stage count from, so it must be consistent.
public static partial class TrainingJobsApi
{
    /// <summary>Why <paramref name="chain"/> cannot be stored, or null when it is consistent.</summary>
    internal static string? ChainReportProblem(ChainResultReport chain)
    {
        var exits = chain.Exits?.Count ?? 0;
        if (exits < 2) return $"A chain has at least two exits (an early exit and the final stage); {exits} reported.";
        if (chain.ExitWeights is null || chain.ExitWeights.Count != exits)
            return $"The chain reports {exits} exits but {chain.ExitWeights?.Count ?? 0} exit weights.";
        for (var k = 0; k < exits; k++)
        {
            if (chain.Exits![k] is not { } exit || exit.Exit != k + 1)
                return $"The chain's exits must be numbered 1 to {exits} in order (position {k + 1} is not exit {k + 1}).";
        }
        if (chain.TradeOff?.FirstOrDefault(r => r?.Shares is null || r.Shares.Count != exits) is { } row)
            return $"Every trade-off row needs one share per exit ({exits}); the row for threshold {row?.Threshold} does not.";
        if (!double.IsFinite(chain.Tolerance) || chain.Tolerance < 0)
            return "The chain's tolerance must be 0 or more.";
        return null;
    }
}
