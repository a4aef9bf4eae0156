using System.Diagnostics;
using System.Diagnostics.Metrics;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Telemetry;

/// <summary>
/// The inference series, fed by the replicas' stats reports (<c>POST .../stats</c>): each report adds what changed
/// since the same replica's previous one to counters and to the end-to-end latency histogram, labelled by inference and
/// replica. A replica that restarted (a new <see cref="InferenceStatsReport.StartedAt"/>, or, from older replicas, a
/// counter that went down) counted from zero again, so its whole report is new. The portal keeps counting across
/// restarts, so a scrape sees monotonic counters whatever the replicas do.
/// </summary>
public sealed class InferenceMetrics
{
    public const string MessagesInName = "kafkaml.inference.messages.in";
    public const string MessagesOutName = "kafkaml.inference.messages.out";
    public const string ErrorsName = "kafkaml.inference.errors";
    public const string DeadLetteredName = "kafkaml.inference.dead_lettered";
    public const string LatencyName = "kafkaml.inference.latency";
    public const string InferenceTag = "inference";
    public const string ReplicaTag = "replica";

    private readonly Counter<long> _in = KafkaMlTelemetry.Meter.CreateCounter<long>(MessagesInName, "{message}", "Input messages consumed by the replicas.");
    private readonly Counter<long> _out = KafkaMlTelemetry.Meter.CreateCounter<long>(MessagesOutName, "{message}", "Predictions delivered to the output topic.");
    private readonly Counter<long> _errors = KafkaMlTelemetry.Meter.CreateCounter<long>(ErrorsName, "{message}", "Input messages that could not be predicted.");
    private readonly Counter<long> _deadLettered = KafkaMlTelemetry.Meter.CreateCounter<long>(DeadLetteredName, "{message}", "Input messages delivered to the dead-letter topic.");
    private readonly Histogram<double> _latency = KafkaMlTelemetry.Meter.CreateHistogram(LatencyName, "s",
        "End-to-end latency: input message timestamp to prediction delivered.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets.BoundariesSeconds });

    private readonly Dictionary<(int Inference, string Replica), InferenceStatsReport> _previous = [];
    private readonly Lock _gate = new();

    /// <summary>Adds what <paramref name="report"/> counted since the replica's previous report.</summary>
    public void Record(int inferenceId, InferenceStatsReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var tags = new TagList { { InferenceTag, inferenceId.ToString(System.Globalization.CultureInfo.InvariantCulture) }, { ReplicaTag, report.Replica } };
        // Under the lock: two reports of one replica must not both count the same messages.
        lock (_gate)
        {
            _previous.TryGetValue((inferenceId, report.Replica), out var previous);
            if (previous is not null && Restarted(previous, report)) previous = null;
            _previous[(inferenceId, report.Replica)] = report;

            Add(_in, report.MessagesIn, previous?.MessagesIn, tags);
            Add(_out, report.MessagesOut, previous?.MessagesOut, tags);
            Add(_errors, report.Errors, previous?.Errors, tags);
            Add(_deadLettered, report.DeadLettered, previous?.DeadLettered, tags);
            if (report.LatencyHistogram is { } histogram)
            {
                var added = HistogramReplay.Since(previous?.LatencyHistogram, histogram);
                foreach (var (value, count) in HistogramReplay.Values(added.Counts, added.SumSeconds))
                    for (var i = 0L; i < count; i++) _latency.Record(value, tags);
            }
        }
    }

    /// <summary>Forgets the replicas of a stopped or deleted inference (their series stay at their last values).</summary>
    public void Forget(int inferenceId)
    {
        lock (_gate)
            foreach (var key in _previous.Keys.Where(k => k.Inference == inferenceId).ToList()) _previous.Remove(key);
    }

    private static bool Restarted(InferenceStatsReport previous, InferenceStatsReport current) =>
        current.StartedAt is { } started
            ? started != previous.StartedAt
            : current.MessagesIn < previous.MessagesIn || current.MessagesOut < previous.MessagesOut
              || current.Errors < previous.Errors || current.DeadLettered < previous.DeadLettered;

    private static void Add(Counter<long> counter, long now, long? before, in TagList tags)
    {
        var added = now - (before ?? 0);
        if (added > 0) counter.Add(added, tags);
    }
}
