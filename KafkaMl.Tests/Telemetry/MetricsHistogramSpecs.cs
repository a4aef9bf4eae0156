using System.Diagnostics.Metrics;
using KafkaMl.Core.Telemetry;
using KafkaMl.Web.Telemetry;

namespace KafkaMl.Tests.Telemetry;

/// <summary>How the portal turns replicas' cumulative reports into series: exact histogram buckets, counters that survive restarts.</summary>
public sealed class MetricsHistogramSpecs
{
    [Theory]
    [InlineData(0.0004, 0.02)]   // all within the finite buckets
    [InlineData(0.0001, 120.0)]  // some beyond the last bound
    [InlineData(0.3, 0.3)]       // all in one bucket
    public void Replayed_latencies_fall_in_the_reported_buckets_and_add_up_to_the_reported_sum(double low, double high)
    {
        var random = new Random(20);
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 500; i++) histogram.Add(low + random.NextDouble() * (high - low));
        var report = histogram.Snapshot();

        var replayed = new LatencyHistogram();
        var sum = 0.0;
        foreach (var (value, count) in HistogramReplay.Values(report.Counts, report.SumSeconds))
        {
            for (var i = 0; i < count; i++) replayed.Add(value);
            sum += value * count;
        }

        Assert.Equal(report.Counts, replayed.Snapshot().Counts);
        Assert.Equal(report.SumSeconds, sum, 1e-9 * Math.Max(1, report.SumSeconds));
    }

    [Fact]
    public void The_difference_of_two_reports_is_what_was_delivered_between_them()
    {
        var histogram = new LatencyHistogram();
        histogram.Add(0.003);
        var before = histogram.Snapshot();
        histogram.Add(0.003);
        histogram.Add(2);

        var added = HistogramReplay.Since(before, histogram.Snapshot());

        Assert.Equal(2, added.Total);
        Assert.Equal(1, added.Counts[LatencyBuckets.IndexOf(0.003)]);
        Assert.Equal(1, added.Counts[LatencyBuckets.IndexOf(2)]);
        Assert.Equal(2.003, added.SumSeconds, 1e-12);
    }

    [Fact]
    public void A_repeated_report_adds_nothing_and_a_restarted_replicas_report_counts_from_zero()
    {
        var replica = $"restart-{Guid.NewGuid():N}";
        using var recorded = new RecordedCounter(InferenceMetrics.MessagesOutName, replica);
        var metrics = new InferenceMetrics();
        var started = DateTimeOffset.UtcNow;

        metrics.Record(1, Report(replica, 10, started));
        metrics.Record(1, Report(replica, 10, started));
        metrics.Record(1, Report(replica, 25, started));
        metrics.Record(1, Report(replica, 4, started.AddMinutes(1))); // restarted: 4 new since
        metrics.Record(1, Report(replica, 30, started.AddMinutes(2))); // restarted again, past the old count: 30 new

        Assert.Equal(25 + 4 + 30, recorded.Total);
    }

    [Fact]
    public void An_older_replica_without_a_start_time_restarts_when_a_counter_goes_down()
    {
        var replica = $"older-{Guid.NewGuid():N}";
        using var recorded = new RecordedCounter(InferenceMetrics.MessagesOutName, replica);
        var metrics = new InferenceMetrics();

        metrics.Record(1, Report(replica, 10, null));
        metrics.Record(1, Report(replica, 3, null));

        Assert.Equal(13, recorded.Total);
    }

    private static InferenceStatsReport Report(string replica, long delivered, DateTimeOffset? started) =>
        new(replica, delivered, delivered, 0, 0, null, null, null) { StartedAt = started };

    /// <summary>The measurements of one KafkaMl counter for one replica, as any OpenTelemetry provider would receive them.</summary>
    private sealed class RecordedCounter : IDisposable
    {
        private readonly MeterListener listener = new();
        private long total;

        public RecordedCounter(string instrument, string replica)
        {
            listener.InstrumentPublished = (published, l) =>
            {
                if (published.Meter.Name == KafkaMlTelemetry.Name && published.Name == instrument) l.EnableMeasurementEvents(published);
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag.Key == InferenceMetrics.ReplicaTag && Equals(tag.Value, replica)) Interlocked.Add(ref total, value);
            });
            listener.Start();
        }

        public long Total => Interlocked.Read(ref total);

        public void Dispose() => listener.Dispose();
    }
}
