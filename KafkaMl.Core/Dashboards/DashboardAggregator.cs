using System.Globalization;
using System.Text;
using KafkaMl.Core.Domain;

namespace KafkaMl.Core.Dashboards;

/// <summary>
/// A dashboard's figures over the latest <see cref="DashboardSettings.Window"/> predictions of a topic, and their
/// join with true labels (<see cref="GroundTruthJoin"/>) when a label topic is read too. Memory is bounded by the
/// window, <see cref="Strip"/>, <see cref="TimelinePoints"/>, <see cref="RecentPoints"/> and the join's pending limit,
/// however many messages arrive. Thread-safe: the reader adds, viewers and the API take snapshots.
/// </summary>
public sealed class DashboardAggregator
{
    /// <summary>Classes shown in the strip of the latest ones.</summary>
    public const int Strip = 20;

    /// <summary>Seconds of class counts kept for the stacked area.</summary>
    public const int TimelinePoints = 120;

    /// <summary>Regression predictions kept for the live lines.</summary>
    public const int RecentPoints = 200;

    /// <summary>Predictions or labels held while waiting for their other half, by default.</summary>
    public const int DefaultMaxPending = 10_000;

    private readonly Lock gate = new();
    private readonly bool classes;
    private readonly int window;
    private readonly bool averageUpdated;
    private readonly List<float?> parsed = [];
    private readonly List<float?> parsedLabel = [];
    // The window, as rings: the class (classification) or the outputs (regression) of each prediction.
    private readonly int[] classRing;
    private readonly float?[][] valueRing;
    private readonly DateTimeOffset[] timeRing;
    private readonly Dictionary<int, long> classCounts = [];
    private readonly List<(DateTimeOffset Second, Dictionary<int, long> Counts)> classTimeline = [];
    private readonly GroundTruthJoin join;
    private int inWindow;
    private int next;
    private long messages;
    private long notPredictions;

    public DashboardAggregator(DashboardSettings settings, int maxPending = DefaultMaxPending)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Window, 1);
        Settings = settings;
        classes = settings.Type == DashboardType.Classification;
        window = settings.Window;
        averageUpdated = settings.AverageUpdated;
        classRing = classes ? new int[window] : [];
        valueRing = classes ? [] : new float?[window][];
        timeRing = new DateTimeOffset[window];
        join = new GroundTruthJoin(classes, window, maxPending);
    }

    public DashboardSettings Settings { get; }

    /// <summary>Grows with every message taken: a viewer is pushed a new snapshot only when it moved.</summary>
    public long Changes { get; private set; }

    /// <summary>Takes one message of the predictions topic (written at <paramref name="time"/>); one that is not a prediction is counted as such.</summary>
    public void AddPrediction(byte[]? key, ReadOnlySpan<byte> value, DateTimeOffset time)
    {
        lock (gate)
        {
            Changes++;
            messages++;
            if (!PredictionValues.TryRead(value, parsed, out var named) || parsed.Count == 0)
            {
                notPredictions++;
                return;
            }
            var values = parsed.ToArray();
            int? @class = null;
            if (classes)
            {
                @class = PredictionValues.ClassOf(parsed, named);
                if (@class is not { } c)
                {
                    notPredictions++; // no finite output to take a class from
                    return;
                }
                AddClass(c, time);
            }
            else
            {
                AddValues(values, time);
            }
            if (key is not null) join.AddPrediction(KeyOf(key), values, @class, time);
        }
    }

    /// <summary>Takes one message of the label topic; one without a key or a readable label is passed over.</summary>
    public void AddLabel(byte[]? key, ReadOnlySpan<byte> value, DateTimeOffset time)
    {
        if (key is null) return;
        lock (gate)
        {
            if (!LabelValues.TryRead(value, parsedLabel)) return;
            Changes++;
            join.AddLabel(KeyOf(key), parsedLabel.ToArray(), time);
        }
    }

    public DashboardSummary Snapshot(DateTimeOffset now)
    {
        lock (gate)
        {
            var score = join.Score;
            return new DashboardSummary(
                Settings.Type.ToName(), messages, notPredictions, inWindow,
                classes ? Current() : null,
                classes ? Latest(Strip, i => classRing[i]) : null,
                classes ? classCounts.Where(c => c.Value > 0).OrderBy(c => c.Key).ToDictionary(c => Name(c.Key), c => c.Value) : null,
                classes ? null : Outputs(),
                join.Joined,
                classes ? score : null,
                classes ? null : score,
                classes ? classTimeline.Select(p => new ClassCountsPoint(p.Second, p.Counts.OrderBy(c => c.Key).ToDictionary(c => Name(c.Key), c => c.Value))).ToList() : null,
                classes ? null : Latest(RecentPoints, i => new ValuesPoint(timeRing[i], valueRing[i])),
                [.. join.Timeline],
                join.PendingPredictions,
                join.PendingLabels) { At = now };
        }
    }

    private void AddClass(int @class, DateTimeOffset time)
    {
        if (inWindow == window) classCounts[classRing[next]]--;
        classRing[next] = @class;
        classCounts[@class] = classCounts.GetValueOrDefault(@class) + 1;
        Advance(time);
        var counts = SecondOf(time);
        counts[@class] = counts.GetValueOrDefault(@class) + 1;
    }

    private void AddValues(float?[] values, DateTimeOffset time)
    {
        valueRing[next] = values;
        Advance(time);
    }

    private void Advance(DateTimeOffset time)
    {
        timeRing[next] = time;
        next = (next + 1) % window;
        if (inWindow < window) inWindow++;
    }

    /// <summary>The counts of <paramref name="time"/>'s second (a late message from another partition joins the latest second kept).</summary>
    private Dictionary<int, long> SecondOf(DateTimeOffset time)
    {
        var second = new DateTimeOffset(time.UtcTicks - time.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        if (classTimeline.Count > 0 && classTimeline[^1].Second >= second) return classTimeline[^1].Counts;
        classTimeline.Add((second, []));
        if (classTimeline.Count > TimelinePoints) classTimeline.RemoveAt(0);
        return classTimeline[^1].Counts;
    }

    /// <summary>The latest class, or the class most frequent in the window (the most recent of those tied) when averaging.</summary>
    private int? Current()
    {
        if (inWindow == 0) return null;
        var latest = classRing[(next - 1 + window) % window];
        if (!averageUpdated) return latest;
        var top = classCounts.Values.Max();
        for (var k = 1; k <= inWindow; k++)
        {
            var c = classRing[(next - k + window) % window];
            if (classCounts[c] == top) return c;
        }
        return latest;
    }

    /// <summary>The latest <paramref name="most"/> entries of the window, oldest first.</summary>
    private List<T> Latest<T>(int most, Func<int, T> at)
    {
        var n = Math.Min(most, inWindow);
        var list = new List<T>(n);
        for (var k = n; k >= 1; k--) list.Add(at((next - k + window) % window));
        return list;
    }

    private List<OutputFigures> Outputs()
    {
        var outputs = new List<OutputFigures>();
        if (inWindow == 0) return outputs;
        var width = 0;
        for (var k = 0; k < inWindow; k++) width = Math.Max(width, valueRing[k].Length);
        var last = valueRing[(next - 1 + window) % window];
        for (var i = 0; i < width; i++)
        {
            double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0;
            var n = 0;
            for (var k = 0; k < inWindow; k++)
            {
                if (i >= valueRing[k].Length || valueRing[k][i] is not { } v) continue;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
                sum += v;
                n++;
            }
            outputs.Add(n == 0
                ? new OutputFigures(i, null, null, null, null)
                : new OutputFigures(i, i < last.Length ? last[i] : null, min, sum / n, max));
        }
        return outputs;
    }

    private static string Name(int @class) => @class.ToString(CultureInfo.InvariantCulture);

    // Latin-1 maps every byte to one character: distinct keys stay distinct, whatever their encoding.
    private static string KeyOf(byte[] key) => Encoding.Latin1.GetString(key);
}
