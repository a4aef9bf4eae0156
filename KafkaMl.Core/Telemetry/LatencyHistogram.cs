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

/// <summary>
/// Counts latencies into <see cref="LatencyBuckets"/>, lock-free (an increment and a compare-and-swap per delivery). A
/// snapshot taken while deliveries are counted may hold one in its bucket and not yet in its sum: reports are
/// cumulative, so the next one has both.
/// </summary>
public sealed class LatencyHistogram
{
    private readonly long[] _counts = new long[LatencyBuckets.Count];
    private double _sum;

    public void Add(double seconds)
    {
        Interlocked.Increment(ref _counts[LatencyBuckets.IndexOf(seconds)]);
        double before, after;
        do
        {
            before = Volatile.Read(ref _sum);
            after = before + seconds;
        }
        while (Interlocked.CompareExchange(ref _sum, after, before) != before);
    }

    /// <summary>The counts and sum so far.</summary>
    public LatencyHistogramReport Snapshot()
    {
        var counts = new long[_counts.Length];
        for (var i = 0; i < counts.Length; i++) counts[i] = Interlocked.Read(ref _counts[i]);
        return new LatencyHistogramReport(counts, Volatile.Read(ref _sum));
    }
}
