namespace KafkaMl.Web.Services;

/// <summary>
/// A chain's answered-by-exit shares over time, from its stages' histories (<see cref="InferenceStatsPoint.Answered"/>):
/// per time bucket, the answers each stage gave in it over all answers given in it. A counter that went down is a
/// restarted replica (it counted from zero since).
/// </summary>
public static class ChainShares
{
    /// <summary>One bucket's shares, exit 1 first (they sum to 1).</summary>
    public sealed record Point(DateTimeOffset Time, IReadOnlyList<double> Shares);

    /// <summary>The buckets of <paramref name="bucket"/> in which anything was answered, oldest first; <paramref name="stages"/> is stage 1's history first.</summary>
    public static IReadOnlyList<Point> Over(IReadOnlyList<IReadOnlyList<InferenceStatsPoint>> stages, TimeSpan bucket)
    {
        ArgumentNullException.ThrowIfNull(stages);
        var answered = new SortedDictionary<long, double[]>();
        for (var k = 0; k < stages.Count; k++)
        {
            long? previous = null;
            foreach (var point in stages[k])
            {
                if (point.Answered is not { } now) continue;
                if (previous is { } before)
                {
                    var key = point.Time.UtcTicks / bucket.Ticks;
                    if (!answered.TryGetValue(key, out var counts)) answered[key] = counts = new double[stages.Count];
                    counts[k] += now >= before ? now - before : now;
                }
                previous = now;
            }
        }
        return [.. answered
            .Where(b => b.Value.Sum() > 0)
            .Select(b => new Point(new DateTimeOffset(b.Key * bucket.Ticks, TimeSpan.Zero), [.. b.Value.Select(v => v / b.Value.Sum())]))];
    }
}
