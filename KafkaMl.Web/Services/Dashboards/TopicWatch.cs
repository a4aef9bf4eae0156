using Confluent.Kafka;
using KafkaMl.Core.Dashboards;

namespace KafkaMl.Web.Services.Dashboards;

/// <summary>A topic (and label topic) a dashboard reads from: the key of the portal's one reader for it.</summary>
public sealed record DashboardSource(string Topic, string? LabelTopic)
{
    public static DashboardSource Of(Dashboard dashboard) =>
        new(dashboard.Topic, string.IsNullOrWhiteSpace(dashboard.LabelTopic) ? null : dashboard.LabelTopic);
}

/// <summary>
/// The portal's one reader of a <see cref="DashboardSource"/> and the aggregations fed from it (one per distinct
/// <see cref="DashboardSettings"/> watching it), with the viewers it pushes snapshots to: at most one per
/// <see cref="DashboardOptions.PushInterval"/>, and only when something changed. The <see cref="DashboardHub"/>
/// counts its viewers and retires it; every member is safe to call from any thread.
/// </summary>
internal sealed class TopicWatch : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly DashboardOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger logger;
    private readonly DashboardTopicReader reader;
    private readonly CancellationTokenSource stop = new();
    private readonly List<Viewer> viewers = [];
    private readonly Dictionary<DashboardSettings, (long Changes, DashboardState State, string? Problem)> pushed = [];
    private volatile DashboardAggregator[] aggregators = [];
    private Task? pushing;
    private long pushes;

    public TopicWatch(DashboardSource source, ConsumerConfig config, DashboardOptions options, TimeProvider clock, ILogger logger)
    {
        Source = source;
        (this.options, this.clock, this.logger) = (options, clock, logger);
        reader = new DashboardTopicReader(config, source.Topic, source.LabelTopic, Take, Reset, logger);
        LastTouched = clock.GetUtcNow();
    }

    public DashboardSource Source { get; }

    /// <summary>When a viewer last left or a summary was last asked for: idle time counts from then.</summary>
    public DateTimeOffset LastTouched { get; set; }

    /// <summary>Viewers open now (the hub changes it under its own lock).</summary>
    public int ViewerCount
    {
        get
        {
            lock (gate) return viewers.Count;
        }
    }

    public long Consumed => reader.Consumed;

    /// <summary>Snapshots pushed to viewers since the start (each push reaches every viewer of one aggregation).</summary>
    public long Pushes => Interlocked.Read(ref pushes);

    /// <summary>Starts reading (from <paramref name="from"/> when given, else the end) and pushing; <paramref name="retire"/> is asked after each push round.</summary>
    public void Start(DateTimeOffset? from, Action<TopicWatch> retire)
    {
        reader.Start(from);
        pushing = PushLoopAsync(retire, stop.Token);
    }

    public void Replay(DateTimeOffset from) => reader.Replay(from);

    /// <summary>The figures of <paramref name="settings"/> (aggregated from now on if nobody asked for them before).</summary>
    public DashboardSummary Summary(DashboardSettings settings) =>
        AggregatorFor(settings).Snapshot(clock.GetUtcNow()) with { State = reader.State, Problem = reader.Problem };

    /// <summary>Aggregates <paramref name="settings"/> from now on (nothing changes if it already does).</summary>
    public void Aggregate(DashboardSettings settings) => AggregatorFor(settings);

    public IDisposable AddViewer(DashboardSettings settings, Func<DashboardSummary, Task> onUpdate, Action<Viewer> onLeave)
    {
        AggregatorFor(settings);
        var viewer = new Viewer(settings, onUpdate, onLeave);
        lock (gate) viewers.Add(viewer);
        return viewer;
    }

    public bool RemoveViewer(Viewer viewer)
    {
        lock (gate) return viewers.Remove(viewer);
    }

    private DashboardAggregator AggregatorFor(DashboardSettings settings)
    {
        lock (gate)
        {
            var found = aggregators.FirstOrDefault(a => a.Settings == settings);
            if (found is not null) return found;
            var created = new DashboardAggregator(settings, options.MaxPending);
            aggregators = [.. aggregators, created];
            return created;
        }
    }

    /// <summary>On the reader's thread: every aggregation takes the message.</summary>
    private void Take(bool label, ConsumeResult<byte[]?, byte[]?> result)
    {
        var timestamp = result.Message.Timestamp;
        var time = timestamp.Type == TimestampType.NotAvailable ? clock.GetUtcNow() : DateTimeOffset.FromUnixTimeMilliseconds(timestamp.UnixTimestampMs);
        foreach (var aggregator in aggregators)
        {
            if (label) aggregator.AddLabel(result.Message.Key, result.Message.Value, time);
            else aggregator.AddPrediction(result.Message.Key, result.Message.Value, time);
        }
    }

    /// <summary>On the reader's thread, before reading back: the figures start again.</summary>
    private void Reset()
    {
        lock (gate) aggregators = [.. aggregators.Select(a => new DashboardAggregator(a.Settings, options.MaxPending))];
    }

    private async Task PushLoopAsync(Action<TopicWatch> retire, CancellationToken token)
    {
        using var timer = new PeriodicTimer(options.PushInterval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(token))
            {
                await PushAsync();
                retire(this);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Retired.
        }
    }

    private async Task PushAsync()
    {
        foreach (var aggregator in aggregators)
        {
            List<Viewer> targets;
            lock (gate)
            {
                targets = viewers.Where(v => v.Settings == aggregator.Settings).ToList();
                var mark = (aggregator.Changes, reader.State, reader.Problem);
                if (targets.Count == 0 || pushed.TryGetValue(aggregator.Settings, out var last) && last == mark) continue;
                pushed[aggregator.Settings] = mark;
            }
            var summary = Summary(aggregator.Settings);
            Interlocked.Increment(ref pushes);
            foreach (var viewer in targets)
            {
                try
                {
                    await viewer.OnUpdate(summary);
                }
                catch (Exception e)
                {
                    logger.LogWarning(e, "A viewer of the dashboard on {Topic} failed on an update", Source.Topic);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (pushing is not null) await pushing;
        await reader.DisposeAsync();
        stop.Dispose();
    }

    /// <summary>One open view: what it aggregates, where its updates go; disposing it leaves.</summary>
    internal sealed class Viewer(DashboardSettings settings, Func<DashboardSummary, Task> onUpdate, Action<Viewer> onLeave) : IDisposable
    {
        private int left;

        public DashboardSettings Settings => settings;

        public Func<DashboardSummary, Task> OnUpdate => onUpdate;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref left, 1) == 0) onLeave(this);
        }
    }
}
