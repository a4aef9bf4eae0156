namespace KafkaMl.Core.Dashboards;

/// <summary>
/// Joins predictions with true labels by message key as either arrives first, and scores each pair: for classes 1
/// when the predicted class is the label's, else 0 (their mean over the window is the accuracy); for values the
/// mean absolute error over the outputs both have (their mean is the MAE). What waits for its other half is
/// bounded on both sides (<see cref="MaxPending"/>, the oldest dropped first); a key seen again replaces the one waiting.
/// Not thread-safe: the aggregator calls it under its lock.
/// </summary>
public sealed class GroundTruthJoin(bool classes, int window, int maxPending)
{
    /// <summary>Points of <see cref="Timeline"/> kept (one per second that had a join).</summary>
    public const int TimelinePoints = 300;

    private readonly Pending predictions = new(maxPending);
    private readonly Pending labels = new(maxPending);
    private readonly double[] scores = new double[window];
    private readonly List<ScorePoint> timeline = [];
    private int count;
    private int next;
    private double sum;

    public int MaxPending => maxPending;

    /// <summary>Pairs joined since the start.</summary>
    public long Joined { get; private set; }

    public int PendingPredictions => predictions.Count;

    public int PendingLabels => labels.Count;

    /// <summary>The mean score over the latest joined pairs (null: none yet).</summary>
    public double? Score => count == 0 ? null : sum / count;

    public IReadOnlyList<ScorePoint> Timeline => timeline;

    public void AddPrediction(string key, float?[] values, int? @class, DateTimeOffset time)
    {
        if (labels.TryTake(key, out var label)) Record(values, @class, label.Values, label.Class, time);
        else predictions.Put(key, new Half(values, @class));
    }

    public void AddLabel(string key, float?[] values, DateTimeOffset time)
    {
        var @class = classes ? LabelValues.ClassOf(values) : null;
        if (predictions.TryTake(key, out var prediction)) Record(prediction.Values, prediction.Class, values, @class, time);
        else labels.Put(key, new Half(values, @class));
    }

    private void Record(float?[] predicted, int? predictedClass, float?[] truth, int? trueClass, DateTimeOffset time)
    {
        double score;
        if (classes)
        {
            if (trueClass is null) return;
            score = predictedClass == trueClass ? 1 : 0;
        }
        else if (MeanAbsoluteError(predicted, truth) is { } error) score = error;
        else return;

        if (count == scores.Length) sum -= scores[next];
        else count++;
        scores[next] = score;
        sum += score;
        next = (next + 1) % scores.Length;
        Joined++;

        // One point per second: the score over the window after the second's last join.
        var second = new DateTimeOffset(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var point = new ScorePoint(second, sum / count);
        if (timeline.Count > 0 && timeline[^1].Time >= second) timeline[^1] = point with { Time = timeline[^1].Time };
        else timeline.Add(point);
        if (timeline.Count > TimelinePoints) timeline.RemoveRange(0, timeline.Count - TimelinePoints);
    }

    private static double? MeanAbsoluteError(float?[] predicted, float?[] truth)
    {
        double total = 0;
        var n = 0;
        for (var i = 0; i < Math.Min(predicted.Length, truth.Length); i++)
        {
            if (predicted[i] is not { } p || truth[i] is not { } t) continue;
            total += Math.Abs(p - t);
            n++;
        }
        return n == 0 ? null : total / n;
    }

    private readonly record struct Half(float?[] Values, int? Class);

    /// <summary>Halves waiting for their other half by key, at most <c>limit</c>, the oldest dropped first.</summary>
    private sealed class Pending(int limit)
    {
        private readonly Dictionary<string, (long Sequence, Half Half)> waiting = new(StringComparer.Ordinal);
        // Arrival order; entries taken or replaced meanwhile stay until they reach the front or a compaction.
        private readonly Queue<(string Key, long Sequence)> order = new();
        private long sequence;

        public int Count => waiting.Count;

        public void Put(string key, Half half)
        {
            var at = ++sequence;
            waiting[key] = (at, half);
            order.Enqueue((key, at));
            while (waiting.Count > limit)
            {
                var (oldest, when) = order.Dequeue();
                if (waiting.TryGetValue(oldest, out var entry) && entry.Sequence == when) waiting.Remove(oldest);
            }
            if (order.Count > 2 * limit + 16) Compact();
        }

        public bool TryTake(string key, out Half half)
        {
            var found = waiting.Remove(key, out var entry);
            half = entry.Half;
            return found;
        }

        /// <summary>Drops the entries of keys taken or replaced, so the queue stays within twice the limit.</summary>
        private void Compact()
        {
            var live = order.Where(o => waiting.TryGetValue(o.Key, out var entry) && entry.Sequence == o.Sequence).ToList();
            order.Clear();
            foreach (var entry in live) order.Enqueue(entry);
        }
    }
}
