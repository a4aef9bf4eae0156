using System.Text.Json.Serialization;

namespace KafkaMl.Core.Telemetry;

/// <summary>
/// The end-to-end latency buckets (input timestamp → prediction delivered) that replicas count in and the portal's
/// histogram exports with: one list, so a bucket count a replica reports lands in the same bucket of the scrape.
/// </summary>
public static class LatencyBuckets
{
    /// <summary>Upper bounds, in seconds, of every bucket but the last (which holds everything above the last bound).</summary>
    public static readonly IReadOnlyList<double> BoundariesSeconds =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Buckets, the overflow one included.</summary>
    public static int Count => BoundariesSeconds.Count + 1;

    /// <summary>The bucket of <paramref name="seconds"/>: the first whose bound is at least it (OpenTelemetry's rule: lower bound excluded, upper included).</summary>
    public static int IndexOf(double seconds)
    {
        for (var i = 0; i < BoundariesSeconds.Count; i++)
            if (seconds <= BoundariesSeconds[i]) return i;
        return BoundariesSeconds.Count;
    }
}

/// <summary>
/// Part of a replica's stats report: how many deliveries fell in each of the <see cref="LatencyBuckets"/> (overflow
/// last) and the sum of their latencies, since the replica started, so the portal rebuilds the histogram exactly.
/// </summary>
public sealed record LatencyHistogramReport(IReadOnlyList<long> Counts, double SumSeconds)
{
    /// <summary>Deliveries counted (the histogram's count).</summary>
    [JsonIgnore]
    public long Total => Counts.Sum();
}

/// <summary>Counts latencies into <see cref="LatencyBuckets"/> (thread-safe; one lock per delivery, a few nanoseconds).</summary>
public sealed class LatencyHistogram
{
    private readonly long[] _counts = new long[LatencyBuckets.Count];
    private readonly Lock _gate = new();
    private double _sum;

    public void Add(double seconds)
    {
        var bucket = LatencyBuckets.IndexOf(seconds);
        lock (_gate)
        {
            _counts[bucket]++;
            _sum += seconds;
        }
    }

    /// <summary>The counts and sum so far, taken together (so the counts' total matches the sum's deliveries).</summary>
    public LatencyHistogramReport Snapshot()
    {
        lock (_gate) return new LatencyHistogramReport([.. _counts], _sum);
    }
}
