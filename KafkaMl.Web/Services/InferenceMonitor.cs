using System.Collections.Concurrent;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Telemetry;

namespace KafkaMl.Web.Services;

/// <summary>One point of an inference's recent history: predictions per second over its live replicas, and the worst of their latency percentiles.</summary>
public sealed record InferenceStatsPoint(DateTimeOffset Time, double MessagesPerSecond, double? LatencyP50Ms, double? LatencyP99Ms)
{
    /// <summary>A chain stage's inputs answered here so far, over its live replicas (<see cref="ChainShares"/>); null for a plain inference.</summary>
    public long? Answered { get; init; }
}

/// <summary>What the live replicas of one inference report: per replica, the totals, the latest predictions and the recent history.</summary>
public sealed record InferenceLiveStats(
    IReadOnlyList<InferenceStatsReport> Replicas,
    long MessagesIn,
    long MessagesOut,
    long Errors,
    long DeadLettered,
    IReadOnlyList<RecentPrediction> Recent,
    IReadOnlyList<InferenceStatsPoint> History)
{
    public static readonly InferenceLiveStats None = new([], 0, 0, 0, 0, [], []);

    /// <summary>The distinct input partitions the live replicas report holding.</summary>
    public int AssignedPartitions => Replicas.SelectMany(r => r.Partitions ?? []).Distinct().Count();

    /// <summary>
    /// Whether the service serves its whole input as it will go on serving it: every one of its
    /// <paramref name="inputPartitions"/> is held by a replica that reported, and as many of its
    /// <paramref name="wantedReplicas"/> as can hold one (no more than there are partitions) hold one each. The second
    /// condition keeps a service from being called running while its first replica holds everything and the others
    /// are still joining: their arrival would move partitions (measured: inputs on them waited up to 0.5 s).
    /// Unknown partitions (older services): any reporting replica. A service is running only then.
    /// </summary>
    public bool Serves(int? inputPartitions, int wantedReplicas)
    {
        if (Replicas.Count == 0) return false;
        if (inputPartitions is not { } partitions) return true;
        var holding = Replicas.Count(r => r.Partitions is { Count: > 0 });
        return AssignedPartitions >= partitions && holding >= Math.Min(wantedReplicas, partitions);
    }
}

/// <summary>What changed on an inference: its status (saved), or a replica's stats (held in memory).</summary>
public enum InferenceChangeKind
{
    Status,
    Stats,
}

public sealed record InferenceChange(int InferenceId, InferenceChangeKind Kind, InferenceStatus? Status = null);

/// <summary>
/// The live side of inference services, held in the portal's memory only (a restart forgets it; replicas report
/// again within seconds): each replica's last stats report, keyed by inference and replica name, dropped when the
/// replica has not reported for <see cref="StaleAfter"/>; a short history for the charts; and announcements of
/// status and stats changes to open pages (subscribe, call back through <c>InvokeAsync</c>, dispose). Every report also
/// feeds the inference series of the <c>/metrics</c> scrape (<see cref="InferenceMetrics"/>), when the portal has them.
/// </summary>
public sealed class InferenceMonitor(TimeProvider clock, ILogger<InferenceMonitor> logger, InferenceMetrics? metrics = null)
{
    /// <summary>A replica silent this long is gone (reports come every 2 s).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(10);

    /// <summary>How far back the history reaches.</summary>
    public static readonly TimeSpan HistorySpan = TimeSpan.FromMinutes(10);

    private const int MaxRecent = 50;
    private readonly ConcurrentDictionary<int, Live> live = new();
    private readonly Lock subscribersGate = new();
    private readonly List<(int? InferenceId, Func<InferenceChange, Task> Callback)> subscribers = [];

    /// <summary>Keeps replica <see cref="InferenceStatsReport.Replica"/>'s report for inference <paramref name="inferenceId"/> and announces it.</summary>
    public Task RecordAsync(int inferenceId, InferenceStatsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        metrics?.Record(inferenceId, report);
        live.GetOrAdd(inferenceId, _ => new Live()).Record(report, clock.GetUtcNow());
        return NotifyAsync(new InferenceChange(inferenceId, InferenceChangeKind.Stats));
    }

    /// <summary>The live replicas' stats of inference <paramref name="inferenceId"/> (none when nothing reported lately).</summary>
    public InferenceLiveStats Get(int inferenceId) =>
        live.TryGetValue(inferenceId, out var state) ? state.Snapshot(clock.GetUtcNow()) : InferenceLiveStats.None;

    /// <summary>Forgets inference <paramref name="inferenceId"/>'s stats (stopped or deleted).</summary>
    public void Forget(int inferenceId)
    {
        live.TryRemove(inferenceId, out _);
        metrics?.Forget(inferenceId);
    }

    public Task NotifyStatusAsync(int inferenceId, InferenceStatus status) =>
        NotifyAsync(new InferenceChange(inferenceId, InferenceChangeKind.Status, status));

    /// <summary>Calls <paramref name="callback"/> on every change of inference <paramref name="inferenceId"/> (null: of any) until disposed.</summary>
    public IDisposable Subscribe(int? inferenceId, Func<InferenceChange, Task> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var entry = (inferenceId, callback);
        lock (subscribersGate) subscribers.Add(entry);
        return new Unsubscriber(() =>
        {
            lock (subscribersGate) subscribers.Remove(entry);
        });
    }

    private async Task NotifyAsync(InferenceChange change)
    {
        List<Func<InferenceChange, Task>> targets;
        lock (subscribersGate)
            targets = subscribers.Where(s => s.InferenceId is null || s.InferenceId == change.InferenceId).Select(s => s.Callback).ToList();
        foreach (var target in targets)
        {
            try
            {
                await target(change);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "A subscriber to inference {InferenceId} failed on its {Kind} change", change.InferenceId, change.Kind);
            }
        }
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private Action? pending = dispose;

        public void Dispose() => Interlocked.Exchange(ref pending, null)?.Invoke();
    }

    /// <summary>One inference's reports; every member under the lock.</summary>
    private sealed class Live
    {
        private readonly Lock gate = new();
        private readonly Dictionary<string, (InferenceStatsReport Stats, double Rate)> replicas = new(StringComparer.Ordinal);
        private readonly Dictionary<string, IReadOnlyList<RecentPrediction>> recent = new(StringComparer.Ordinal);
        private readonly List<InferenceStatsPoint> history = [];

        public void Record(InferenceStatsReport report, DateTimeOffset now)
        {
            lock (gate)
            {
                // Kept as the portal shows it: when it came instead of its predictions, which join the inference's feed.
                var stats = report with { Recent = null, ReportedAt = now };
                var rate = 0.0;
                if (replicas.TryGetValue(report.Replica, out var previous))
                {
                    var seconds = (now - previous.Stats.ReportedAt).TotalSeconds;
                    // A counter that went down is a restarted replica: it counted from zero since.
                    var delivered = report.MessagesOut >= previous.Stats.MessagesOut ? report.MessagesOut - previous.Stats.MessagesOut : report.MessagesOut;
                    rate = seconds > 0 ? delivered / seconds : previous.Rate;
                }
                replicas[report.Replica] = (stats, rate);
                recent[report.Replica] = report.Recent ?? [];
                DropStale(now);

                var fresh = replicas.Values.ToList();
                var point = new InferenceStatsPoint(now, fresh.Sum(r => r.Rate),
                    fresh.Max(r => r.Stats.LatencyP50Ms), fresh.Max(r => r.Stats.LatencyP99Ms))
                {
                    Answered = fresh.Any(r => r.Stats.Answered is not null) ? fresh.Sum(r => r.Stats.Answered ?? 0) : null,
                };
                // One point per second at most: reports of several replicas in the same second merge.
                if (history.Count > 0 && now - history[^1].Time < TimeSpan.FromSeconds(1)) history[^1] = point;
                else history.Add(point);
                history.RemoveAll(p => now - p.Time > HistorySpan);
            }
        }

        public InferenceLiveStats Snapshot(DateTimeOffset now)
        {
            lock (gate)
            {
                DropStale(now);
                var stats = replicas.Values.Select(r => r.Stats).OrderBy(s => s.Replica, StringComparer.Ordinal).ToList();
                var latest = recent.Values.SelectMany(r => r).OrderByDescending(p => p.Time).Take(MaxRecent).ToList();
                return new InferenceLiveStats(stats, stats.Sum(s => s.MessagesIn), stats.Sum(s => s.MessagesOut), stats.Sum(s => s.Errors),
                    stats.Sum(s => s.DeadLettered), latest, [.. history]);
            }
        }

        private void DropStale(DateTimeOffset now)
        {
            foreach (var name in replicas.Where(r => now - r.Value.Stats.ReportedAt > StaleAfter).Select(r => r.Key).ToList())
            {
                replicas.Remove(name);
                recent.Remove(name);
            }
        }
    }
}
