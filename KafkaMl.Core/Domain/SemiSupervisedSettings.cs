namespace KafkaMl.Core.Domain;

/// <summary>
/// How a semi-supervised deployment self-trains (Kafka-ML's <c>unsupervised_topic</c>): after training on the labelled
/// data, up to <see cref="UnsupervisedRounds"/> times predict the unlabelled samples, add those whose top class
/// probability is at least <see cref="Confidence"/> with that class as their label, and train again.
/// </summary>
/// <param name="UnsupervisedRounds">At most this many pseudo-labelling rounds (at least 1); fewer when a round adds nothing.</param>
/// <param name="Confidence">The top class probability a prediction needs to become a label, in (0, 1].</param>
public sealed record SemiSupervisedSettings(
    int UnsupervisedRounds = SemiSupervisedSettings.DefaultUnsupervisedRounds,
    double Confidence = SemiSupervisedSettings.DefaultConfidence)
{
    public const int DefaultUnsupervisedRounds = 5;
    public const double DefaultConfidence = 0.9;

    /// <summary>What is wrong with the rounds, or null when they are usable.</summary>
    public static string? RoundsProblem(int rounds) =>
        rounds >= 1 ? null : $"unsupervisedRounds must be at least 1 (it was {rounds}).";

    /// <summary>What is wrong with the confidence, or null when it is usable.</summary>
    public static string? ConfidenceProblem(double confidence) =>
        double.IsFinite(confidence) && confidence > 0 && confidence <= 1
            ? null
            : FormattableString.Invariant($"confidence must be above 0 and at most 1 (it was {confidence}).");
}
