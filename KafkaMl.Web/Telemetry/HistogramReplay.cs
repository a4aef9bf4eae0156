using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Telemetry;

/// <summary>
/// Turns the bucket counts a replica reported since its previous report back into latencies an OpenTelemetry
/// histogram with the same <see cref="LatencyBuckets"/> records: exactly the reported count in each bucket, and values
/// whose sum is the reported sum whenever the real latencies could have had it (it always can: the real values did).
/// </summary>
public static class HistogramReplay
{
    /// <summary>
    /// The values to record for <paramref name="counts"/> new deliveries per bucket whose latencies summed to
    /// <paramref name="sumSeconds"/>. Every value of a finite bucket sits at the same fraction of its bucket's width,
    /// chosen so the values add up to the sum; overflow values share what is left above the last bound.
    /// </summary>
    public static IEnumerable<(double Value, long Count)> Values(IReadOnlyList<long> counts, double sumSeconds)
    {
        var bounds = LatencyBuckets.BoundariesSeconds;
        var overflow = counts.Count > bounds.Count ? counts[bounds.Count] : 0;
        double lowest = 0, widths = 0;
        for (var i = 0; i < bounds.Count && i < counts.Count; i++)
        {
            var lower = i == 0 ? 0 : bounds[i - 1];
            lowest += counts[i] * lower;
            widths += counts[i] * (bounds[i] - lower);
        }

        // The fraction of each width the finite values sit at: all of the sum when nothing overflowed, half when the
        // overflow values take the rest. Kept inside (0, 1] so every value stays in its own bucket.
        var fraction = overflow == 0 && widths > 0 ? (sumSeconds - lowest) / widths : 0.5;
        fraction = Math.Clamp(fraction, 1e-6, 1);
        var finiteSum = 0.0;
        for (var i = 0; i < bounds.Count && i < counts.Count; i++)
        {
            if (counts[i] <= 0) continue;
            var lower = i == 0 ? 0 : bounds[i - 1];
            // Rounding must not push a value onto the bucket's lower bound (it would land one bucket down).
            var value = Math.Max(lower + fraction * (bounds[i] - lower), Math.BitIncrement(lower));
            finiteSum += counts[i] * value;
            yield return (Math.Min(value, bounds[i]), counts[i]);
        }
        if (overflow > 0)
            yield return (Math.Max((sumSeconds - finiteSum) / overflow, Math.BitIncrement(bounds[^1])), overflow);
    }

    /// <summary>
    /// What was delivered between <paramref name="previous"/> and <paramref name="current"/>, per bucket, and the latency
    /// they added; everything in <paramref name="current"/> when there is no previous report of the same run.
    /// </summary>
    public static LatencyHistogramReport Since(LatencyHistogramReport? previous, LatencyHistogramReport current)
    {
        if (previous is null || previous.Counts.Count != current.Counts.Count) return current;
        var counts = new long[current.Counts.Count];
        for (var i = 0; i < counts.Length; i++) counts[i] = Math.Max(0, current.Counts[i] - previous.Counts[i]);
        return new LatencyHistogramReport(counts, Math.Max(0, current.SumSeconds - previous.SumSeconds));
    }
}
