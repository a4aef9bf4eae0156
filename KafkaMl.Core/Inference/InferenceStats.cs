using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Telemetry;

namespace KafkaMl.Core.Inference;

/// <summary>
/// A replica's counters since it started, the latency of its recent deliveries and its recent predictions.
/// Written by the consuming thread and the producer's delivery thread, read by anyone (thread-safe).
/// </summary>
public sealed class InferenceStats
{
    private readonly LatencyWindow _latency;
    private readonly LatencyHistogram _histogram = new();
    private readonly RecentPredictionRing _recent;
    private long _in;
    private long _out;
    private long _errors;
    private long _deadLettered;
    private long _answered;
    private long _forwarded;
    private long _batches;
    private long _predicted;
    private int _largestBatch;
    private int[] _partitions = [];
    private int _modelVersion; // 0: none
    private readonly Lock _refusedGate = new();
    private (int Version, string Error)? _refused;

    public InferenceStats(string replica, int latencyWindow = 1024, int recentPredictions = 20)
    {
        Replica = replica;
        _latency = new LatencyWindow(latencyWindow);
        _recent = new RecentPredictionRing(recentPredictions);
    }

    /// <summary>The replica's name (an index locally, the pod name on Kubernetes).</summary>
    public string Replica { get; }

    /// <summary>When the counters started (a replica restarted under the same name starts them again).</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Input messages consumed.</summary>
    public long MessagesIn => Interlocked.Read(ref _in);

    /// <summary>Predictions delivered to the output topic.</summary>
    public long MessagesOut => Interlocked.Read(ref _out);

    /// <summary>Input messages that could not be predicted (undecodable, wrongly shaped, or the model failed on them).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Input messages delivered to the dead-letter topic.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Forward passes that produced predictions (a micro-batch counts once).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Messages predicted (made, not necessarily delivered yet).</summary>
    public long Predicted => Interlocked.Read(ref _predicted);

    /// <summary>The largest micro-batch so far.</summary>
    public int LargestBatch => Volatile.Read(ref _largestBatch);

    internal void CountIn(int n) => Interlocked.Add(ref _in, n);

    internal void CountError() => Interlocked.Increment(ref _errors);

    internal void CountBatch(int size)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _predicted, size);
        int largest;
        while (size > (largest = Volatile.Read(ref _largestBatch)) && Interlocked.CompareExchange(ref _largestBatch, size, largest) != largest)
        {
        }
    }

    internal void CountDelivered(double? latencyMs)
    {
        Interlocked.Increment(ref _out);
        if (latencyMs is not { } ms) return;
        _latency.Add(ms);
        _histogram.Add(ms / 1000);
    }

    /// <summary>The latencies of the deliveries so far, in <see cref="LatencyBuckets"/>.</summary>
    public LatencyHistogramReport LatencyHistogram() => _histogram.Snapshot();

    internal void CountDeadLettered() => Interlocked.Increment(ref _deadLettered);

    /// <summary>A chain stage: inputs answered here (on the output topic, with this stage's exit); null for a plain replica.</summary>
    public long? Answered => Stage is null ? null : Interlocked.Read(ref _answered);

    /// <summary>A chain stage: inputs forwarded to the next stage (not sure enough here); null for a plain replica.</summary>
    public long? Forwarded => Stage is null ? null : Interlocked.Read(ref _forwarded);

    /// <summary>The chain stage the replica serves; null for a plain replica.</summary>
    public ChainStageRole? Chain { get; init; }

    /// <summary>The chain stage the replica serves (1-based); null for a plain replica.</summary>
    public int? Stage => Chain?.Stage;

    internal void CountAnswered() => Interlocked.Increment(ref _answered);

    internal void CountForwarded() => Interlocked.Increment(ref _forwarded);

    internal void AddRecent(int partition, long offset, ReadOnlySpan<float> values, int? prediction) =>
        _recent.Add(partition, offset, values, prediction);

    /// <summary>The input partitions the replica holds now (set by the engine at each assignment change).</summary>
    public IReadOnlyList<int> Partitions => Volatile.Read(ref _partitions);

    internal void SetPartitions(int[] partitions) => Volatile.Write(ref _partitions, partitions);

    /// <summary>The model version served now (set by the engine at start and at each swap); null when it has none.</summary>
    public int? ModelVersion => Volatile.Read(ref _modelVersion) is var v and > 0 ? v : null;

    internal void SetModelVersion(int? version) => Volatile.Write(ref _modelVersion, version ?? 0);

    /// <summary>The version this replica refused to serve because it would not load, and why; null when none is refused.</summary>
    public (int Version, string Error)? Refused
    {
        get { lock (_refusedGate) return _refused; }
    }

    /// <summary>Records (or, with null, clears) the version the replica refused because it would not load.</summary>
    public void SetRefused((int Version, string Error)? refused)
    {
        lock (_refusedGate) _refused = refused;
    }

    /// <summary>The latency percentiles (ms) over the recent window; nulls before the first delivery.</summary>
    public (double? P50, double? P99) Latency() => _latency.Percentiles();

    /// <summary>The report the portal receives (<c>POST .../stats</c>).</summary>
    public InferenceStatsReport Snapshot()
    {
        var (p50, p99) = Latency();
        var refused = Refused;
        return new InferenceStatsReport(Replica, MessagesIn, MessagesOut, Errors, DeadLettered, p50, p99, _recent.Snapshot())
        {
            Partitions = Partitions,
            ModelVersion = ModelVersion,
            RefusedVersion = refused?.Version,
            LoadError = refused?.Error,
            Stage = Stage,
            Answered = Answered,
            Forwarded = Forwarded,
            Threshold = Chain is { IsFinal: false } stage ? stage.Threshold : null,
            StartedAt = StartedAt,
            LatencyHistogram = LatencyHistogram(),
        };
    }

    /// <summary>The last <c>capacity</c> latencies, in milliseconds; percentiles by sorting a copy (cheap for ~1k values every few seconds).</summary>
    private sealed class LatencyWindow(int capacity)
    {
        private readonly double[] _values = new double[capacity];
        private readonly Lock _gate = new();
        private long _count;

        public void Add(double ms)
        {
            lock (_gate) _values[_count++ % _values.Length] = ms;
        }

        public (double? P50, double? P99) Percentiles()
        {
            double[] copy;
            lock (_gate)
            {
                var n = (int)Math.Min(_count, _values.Length);
                if (n == 0) return (null, null);
                copy = _values[..n];
            }
            Array.Sort(copy);
            return (Percentile(copy, 0.50), Percentile(copy, 0.99));
        }
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>The last predictions, kept as structs in a ring (no allocation per prediction beyond the copied values).</summary>
    private sealed class RecentPredictionRing(int capacity)
    {
        private readonly Entry[] _entries = new Entry[capacity];
        private readonly Lock _gate = new();
        private long _count;

        private struct Entry
        {
            public int Partition;
            public long Offset;
            public float[] Values;
            public int? Prediction;
            public DateTimeOffset Time;
        }

        public void Add(int partition, long offset, ReadOnlySpan<float> values, int? prediction)
        {
            if (_entries.Length == 0) return;
            lock (_gate)
            {
                ref var entry = ref _entries[_count++ % _entries.Length];
                if (entry.Values is null || entry.Values.Length != values.Length) entry.Values = new float[values.Length];
                values.CopyTo(entry.Values);
                entry.Partition = partition;
                entry.Offset = offset;
                entry.Prediction = prediction;
                entry.Time = DateTimeOffset.UtcNow;
            }
        }

        /// <summary>Newest first.</summary>
        public IReadOnlyList<RecentPrediction> Snapshot()
        {
            lock (_gate)
            {
                var n = (int)Math.Min(_count, _entries.Length);
                var result = new RecentPrediction[n];
                for (var i = 0; i < n; i++)
                {
                    var entry = _entries[(_count - 1 - i) % _entries.Length];
                    result[i] = new RecentPrediction(entry.Partition, entry.Offset, [.. entry.Values], entry.Prediction, entry.Time);
                }
                return result;
            }
        }
    }
}
