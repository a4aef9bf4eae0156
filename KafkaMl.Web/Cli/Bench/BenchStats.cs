namespace KafkaMl.Web.Cli.Bench;

/// <summary>The statistics the reports give: medians of repetitions, percentiles of latencies.</summary>
internal static class BenchStats
{
    public static double Median(IEnumerable<double> values) => Median(values.Select(v => (double?)v))!.Value;

    /// <summary>The median of the values present; null when none is.</summary>
    public static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        if (sorted.Count == 0) return null;
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>The nearest-rank percentile (<paramref name="p"/> in [0, 1]) of values sorted ascending.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
