using KafkaMl.Core.Control;

namespace KafkaMl.Core.Sinks;

/// <summary>
/// The offsets a producer actually got back in its delivery reports, kept per partition as runs of
/// consecutive offsets. librdkafka reports each partition's deliveries in order, so a run only grows
/// at its end; another producer writing to the same partition meanwhile starts a new run, and the
/// control message then lists both runs instead of claiming the foreign messages.
/// </summary>
internal sealed class OffsetTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, List<Run>> _runs = [];
    private int _lastPartition = -1;
    private List<Run>? _lastRuns;

    public void Record(int partition, long offset)
    {
        lock (_gate)
        {
            if (partition != _lastPartition)
            {
                if (!_runs.TryGetValue(partition, out var found)) _runs[partition] = found = [];
                _lastPartition = partition;
                _lastRuns = found;
            }
            var runs = _lastRuns!;
            var last = runs.Count - 1;
            if (last >= 0 && runs[last].End == offset) runs[last] = runs[last] with { End = offset + 1 };
            else runs.Add(new Run(offset, offset + 1));
        }
    }

    /// <summary>The ranges written, by partition then offset; adjacent runs merged.</summary>
    public IReadOnlyList<TopicRange> Ranges(string topic)
    {
        lock (_gate)
        {
            var ranges = new List<TopicRange>();
            foreach (var (partition, runs) in _runs.OrderBy(p => p.Key))
            {
                Run? current = null;
                foreach (var run in runs.OrderBy(r => r.Start))
                {
                    if (current is { } c && c.End >= run.Start)
                    {
                        current = c with { End = Math.Max(c.End, run.End) };
                        continue;
                    }
                    if (current is { } done) ranges.Add(new TopicRange(topic, partition, done.Start, done.End));
                    current = run;
                }
                if (current is { } tail) ranges.Add(new TopicRange(topic, partition, tail.Start, tail.End));
            }
            return ranges;
        }
    }

    private readonly record struct Run(long Start, long End);
}
