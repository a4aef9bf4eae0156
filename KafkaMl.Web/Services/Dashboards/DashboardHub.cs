using System.Globalization;
using KafkaMl.Core.Dashboards;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Services.Dashboards;

/// <summary>A topic the portal reads for dashboards now: its viewers, and how much it read and pushed.</summary>
public sealed record WatchedTopic(string Topic, string? LabelTopic, int Viewers, long Consumed, long Pushes);

/// <summary>
/// The portal's dashboard readers: one <see cref="TopicWatch"/> (one Kafka consumer) per topic and label topic
/// however many browsers watch it, aggregating server-side and pushing throttled snapshots (issue 17, item 2). The
/// first viewer or summary starts it, at the topic's end; it stops <see cref="DashboardOptions.IdleTimeout"/> after
/// the last viewer left and the last summary was asked for. A singleton; viewers subscribe with
/// <see cref="Watch"/>, call back through <c>InvokeAsync</c> and dispose what it returns when they go.
/// </summary>
public sealed class DashboardHub(KafkaEndpoint endpoint, IOptions<DashboardOptions> options, TimeProvider clock, ILogger<DashboardHub> logger)
    : IAsyncDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<DashboardSource, TopicWatch> watches = [];
    private long readersStarted;
    private bool disposed;

    /// <summary>Readers (Kafka consumers) started since the portal started: one per topic watched after an idle stop.</summary>
    public long ReadersStarted => Interlocked.Read(ref readersStarted);

    /// <summary>The topics read now.</summary>
    public IReadOnlyList<WatchedTopic> Watched()
    {
        lock (gate)
            return [.. watches.Values.Select(w => new WatchedTopic(w.Source.Topic, w.Source.LabelTopic, w.ViewerCount, w.Consumed, w.Pushes))];
    }

    /// <summary>
    /// Calls <paramref name="onUpdate"/> with the figures of <paramref name="settings"/> over <paramref name="source"/>
    /// whenever they change, at most once per push interval, until the answer is disposed; answers the figures now too.
    /// </summary>
    public (IDisposable Viewing, DashboardSummary Now) Watch(DashboardSource source, DashboardSettings settings, Func<DashboardSummary, Task> onUpdate)
    {
        ArgumentNullException.ThrowIfNull(onUpdate);
        lock (gate)
        {
            var watch = WatchOf(source, settings, from: null);
            var viewing = watch.AddViewer(settings, onUpdate, Leave);
            return (viewing, watch.Summary(settings));

            void Leave(TopicWatch.Viewer viewer)
            {
                lock (gate)
                {
                    if (watch.RemoveViewer(viewer)) watch.LastTouched = clock.GetUtcNow();
                }
            }
        }
    }

    /// <summary>The figures now; starts the topic's reader like a viewer does (it then runs until idle).</summary>
    public DashboardSummary Summary(DashboardSource source, DashboardSettings settings)
    {
        lock (gate)
        {
            var watch = WatchOf(source, settings, from: null);
            watch.LastTouched = clock.GetUtcNow();
            return watch.Summary(settings);
        }
    }

    /// <summary>Reads <paramref name="source"/> back from <paramref name="minutes"/> minutes ago; its figures (of <paramref name="settings"/> and any other) start again.</summary>
    public void Replay(DashboardSource source, DashboardSettings settings, int minutes)
    {
        var max = options.Value.MaxReplayMinutes;
        if (minutes < 1 || minutes > max)
            throw new ArgumentOutOfRangeException(nameof(minutes), string.Create(CultureInfo.InvariantCulture, $"Replay between 1 and {max} minutes."));
        lock (gate)
        {
            var from = clock.GetUtcNow().AddMinutes(-minutes);
            if (watches.TryGetValue(source, out var watch)) watch.Replay(from);
            else WatchOf(source, settings, from);
        }
    }

    /// <summary>The running watch of <paramref name="source"/>, started when there is none. Under the lock.</summary>
    private TopicWatch WatchOf(DashboardSource source, DashboardSettings settings, DateTimeOffset? from)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (watches.TryGetValue(source, out var watch)) return watch;
        var config = KafkaClientConfig.Consumer(endpoint, "kafkaml-dashboards", $"kafkaml-dashboard-{source.Topic}");
        watch = new TopicWatch(source, config, options.Value, clock, logger);
        watch.Aggregate(settings); // before the first message can arrive
        watches[source] = watch;
        Interlocked.Increment(ref readersStarted);
        logger.LogInformation("Dashboard reader of {Topic} (labels {LabelTopic}) started", source.Topic, source.LabelTopic ?? "none");
        watch.Start(from, RetireIfIdle);
        return watch;
    }

    /// <summary>Stops <paramref name="watch"/> once nobody watched it for the idle timeout (after each of its push rounds).</summary>
    private void RetireIfIdle(TopicWatch watch)
    {
        lock (gate)
        {
            if (watch.ViewerCount > 0 || clock.GetUtcNow() - watch.LastTouched < options.Value.IdleTimeout) return;
            if (!watches.Remove(watch.Source, out var removed) || removed != watch) return;
        }
        logger.LogInformation("Dashboard reader of {Topic} stopped: nobody watched it for {Idle}", watch.Source.Topic, options.Value.IdleTimeout);
        // Detached: this runs on the watch's own push loop, which its disposal waits for.
        _ = Task.Run(async () => await watch.DisposeAsync());
    }

    public async ValueTask DisposeAsync()
    {
        List<TopicWatch> all;
        lock (gate)
        {
            disposed = true;
            all = [.. watches.Values];
            watches.Clear();
        }
        foreach (var watch in all) await watch.DisposeAsync();
    }
}
