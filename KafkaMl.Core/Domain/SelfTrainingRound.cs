namespace KafkaMl.Core.Domain;

/// <summary>
/// One self-training round of a semi-supervised result, as its job reported it: round 0 trains on the labelled data
/// only (the supervised baseline), each later round adds the pseudo-labels it found and trains again.
/// </summary>
/// <param name="Round">0 for the supervised-only training, then 1, 2, ...</param>
/// <param name="Added">Pseudo-labelled samples the round added (0 for round 0).</param>
/// <param name="ClassCounts">The added samples per class (class index as text → count).</param>
/// <param name="Confidence">The top class probability a prediction needed to become a label.</param>
/// <param name="TestMetrics">Metrics on the labelled test split after the round.</param>
/// <param name="PoolLeft">Unlabelled samples still without a label after the round.</param>
/// <param name="Window">The unlabelled window of an incremental run (1-based); null for a bounded run.</param>
public sealed record SelfTrainingRound(
    int Round,
    int Added,
    Dictionary<string, int> ClassCounts,
    double Confidence,
    Dictionary<string, double> TestMetrics,
    long PoolLeft,
    int? Window = null)
{
    /// <summary>The rounds in the order a result keeps them: by window (a bounded run has none), then by round.</summary>
    public static List<SelfTrainingRound> Ordered(IEnumerable<SelfTrainingRound> rounds) =>
        [.. rounds.OrderBy(r => r.Window ?? 0).ThenBy(r => r.Round)];

    /// <summary><paramref name="rounds"/> with <paramref name="round"/> in its place: a report of the same round and window replaces the earlier one.</summary>
    public static List<SelfTrainingRound> With(IEnumerable<SelfTrainingRound> rounds, SelfTrainingRound round) =>
        Ordered(rounds.Where(r => r.Round != round.Round || r.Window != round.Window).Append(round));
}
