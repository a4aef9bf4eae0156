using System.Collections.Frozen;

namespace KafkaMl.Core.Training;

/// <summary>
/// The metrics the engines compute besides the loss, by their wire names. Every metrics dictionary the
/// engines produce holds <see cref="Loss"/> plus the requested metrics under these names.
/// </summary>
public static class MetricNames
{
    /// <summary>The loss, always present in a metrics dictionary.</summary>
    public const string Loss = "loss";

    /// <summary>
    /// Share of correct predictions: argmax against the class index for cross-entropy (and for any
    /// model with several outputs); a 0.5 threshold on the sigmoid for binary cross-entropy
    /// (element-wise when there are several outputs); a 0.5 threshold on the raw output for a single
    /// output trained with mse/mae.
    /// </summary>
    public const string Accuracy = "accuracy";

    /// <summary>
    /// Mean squared error over all output elements: of the raw outputs against the labels for mse/mae,
    /// of the probabilities (softmax, sigmoid) against the one-hot/0-1 labels for the classification losses.
    /// </summary>
    public const string Mse = "mse";

    /// <summary>Mean absolute error, over the same values as <see cref="Mse"/>.</summary>
    public const string Mae = "mae";

    /// <summary>The metric names the engines know, in the order they appear in dictionaries.</summary>
    public static IReadOnlyList<string> Known { get; } = [Accuracy, Mse, Mae];

    private static readonly FrozenDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [Accuracy] = Accuracy, ["acc"] = Accuracy, ["sparse_categorical_accuracy"] = Accuracy,
        ["categorical_accuracy"] = Accuracy, ["binary_accuracy"] = Accuracy,
        [Mse] = Mse, ["mean_squared_error"] = Mse,
        [Mae] = Mae, ["mean_absolute_error"] = Mae,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="name"/> is a known metric or one of its Keras aliases (e.g. <c>mean_squared_error</c>).</summary>
    public static bool IsKnown(string? name) => name is not null && Aliases.ContainsKey(name.Trim());

    /// <summary>
    /// The requested metrics as canonical names, without duplicates and without <c>loss</c> (always
    /// computed), in <see cref="Known"/> order. Throws <see cref="ArgumentException"/> naming an unknown metric.
    /// </summary>
    public static IReadOnlyList<string> Normalize(IEnumerable<string>? names)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in names ?? [])
        {
            var name = raw?.Trim();
            if (string.IsNullOrEmpty(name) || string.Equals(name, Loss, StringComparison.OrdinalIgnoreCase)) continue;
            if (!Aliases.TryGetValue(name, out var canonical))
                throw new ArgumentException($"Unknown metric '{raw}'; known metrics are {string.Join(", ", Known)}.", nameof(names));
            wanted.Add(canonical);
        }
        return Known.Where(wanted.Contains).ToArray();
    }
}
