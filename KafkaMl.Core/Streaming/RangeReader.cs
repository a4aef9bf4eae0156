using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using KafkaMl.Core.Control;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Core.Streaming;

/// <summary>How a <see cref="RangeReader"/> reads.</summary>
public sealed record RangeReaderOptions
{
    /// <summary>
    /// How long the reader waits without receiving any message of the ranges before it gives up with a
    /// <see cref="RangeReadException"/> naming what is missing (e.g. a range that ends beyond the partition's end).
    /// </summary>
    public TimeSpan MissingDataTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>fetch.wait.max.ms</c>: how long the broker may hold a fetch that finds no data.</summary>
    public int FetchWaitMaxMs { get; init; } = KafkaClientConfig.DefaultFetchWaitMaxMs;

    /// <summary>Extra librdkafka consumer settings (e.g. <c>security.protocol</c>); they win over the defaults.</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    /// <summary>Receives librdkafka's log lines and client errors; null drops them.</summary>
    public ILogger? Logger { get; init; }
}

/// <summary>What a <see cref="RangeReader"/> read.</summary>
/// <param name="Messages">Messages handed to the callback.</param>
/// <param name="Absent">
/// Offsets inside the ranges that held no message (removed by log compaction, or transaction markers):
/// <c>total of the ranges − Messages</c>.
/// </param>
/// <param name="Elapsed">Wall time of the read, connection included.</param>
public sealed record RangeReadSummary(long Messages, long Absent, TimeSpan Elapsed);

/// <summary>The ranges cannot be read completely: the data is gone, never arrived, or the broker is unreachable.</summary>
public sealed class RangeReadException : Exception
{
    public RangeReadException(string message) : base(message) { }

    public RangeReadException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// Reads exactly the messages of <c>topic:partition:start:end</c> ranges (end exclusive) — across topics
/// and partitions, several ranges per partition allowed — with assigned partitions and no consumer group
/// (nothing is committed). All partitions are read at once; the callback receives each message with the
/// index of its range, in offset order within a partition.
/// </summary>
/// <remarks>
/// <para>Offsets missing inside a range (compacted away) are skipped and counted; a message past a range's
/// end finishes it. A range that starts before the partition's first offset (deleted by retention) fails at
/// once; a range that ends beyond the partition's end fails after <see cref="RangeReaderOptions.MissingDataTimeout"/>
/// without progress (the data might still be on its way), with a message such as
/// <c>data partition 1 ends at offset 100, but the range data:1:0:120 needs offsets up to 119</c>.</para>
/// <para>Synchronous and single-threaded; <see cref="ReadAsync"/> runs it on a thread of its own.</para>
/// </remarks>
public sealed class RangeReader
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RetryAfterOutOfRange = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan WatermarkTimeout = TimeSpan.FromSeconds(5);

    private readonly string _bootstrapServers;
    private readonly string _clientId;
    private readonly RangeReaderOptions _options;

    public RangeReader(string bootstrapServers, string clientId = "kafkaml-range-reader", RangeReaderOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrapServers);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        _bootstrapServers = bootstrapServers;
        _clientId = clientId;
        _options = options ?? new RangeReaderOptions();
        if (_options.MissingDataTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), _options.MissingDataTimeout, "The missing-data timeout must be positive.");
    }

    /// <summary><see cref="Read"/> on a thread of its own.</summary>
    public Task<RangeReadSummary> ReadAsync(
        IReadOnlyList<TopicRange> ranges,
        Action<int, ConsumeResult<byte[], byte[]>> onMessage,
        CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Read(ranges, onMessage, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Reads every message of <paramref name="ranges"/> and hands it to <paramref name="onMessage"/> with the
    /// index of its range in <paramref name="ranges"/>. An exception thrown by the callback ends the read.
    /// </summary>
    /// <exception cref="RangeReadException">Data of the ranges is gone or did not arrive in time.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public RangeReadSummary Read(
        IReadOnlyList<TopicRange> ranges,
        Action<int, ConsumeResult<byte[], byte[]>> onMessage,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(onMessage);
        var stopwatch = Stopwatch.StartNew();
        var partitions = PartitionsOf(ranges);
        var expected = TopicRanges.Total(ranges);
        if (partitions.Count == 0) return new RangeReadSummary(0, 0, stopwatch.Elapsed);

        using var consumer = BuildConsumer();
        var active = partitions.Count;
        long messages = 0;
        consumer.Assign(partitions.Values.Select(p => new TopicPartitionOffset(p.Partition, p.Position)));
        var lastProgress = Stopwatch.StartNew();
        try
        {
            while (active > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(Poll);
                }
                catch (ConsumeException e) when (e.Error.Code is ErrorCode.Local_AutoOffsetReset or ErrorCode.OffsetOutOfRange
                    && e.ConsumerRecord?.TopicPartition is { } outOfRange && partitions.TryGetValue(outOfRange, out var state))
                {
                    OnOutOfRange(consumer, state);
                    continue;
                }

                if (result is null)
                {
                    RetryOutOfRange(consumer, partitions.Values);
                    if (lastProgress.Elapsed > _options.MissingDataTimeout)
                        throw Missing(consumer, partitions.Values.Where(p => !p.Done));
                    continue;
                }
                if (!partitions.TryGetValue(result.TopicPartition, out var partition) || partition.Done) continue;
                if (result.IsPartitionEOF)
                {
                    partition.EndsAt = result.Offset.Value;
                    continue;
                }

                var offset = result.Offset.Value;
                if (offset < partition.Position) continue; // fetched before a seek
                partition.EndsAt = null;
                partition.RetryAt = null;
                while (!partition.Done)
                {
                    var (index, range) = partition.Current;
                    if (offset < range.Start) break; // between two ranges of the partition; the seek is on its way
                    if (offset < range.End)
                    {
                        onMessage(index, result);
                        messages++;
                        lastProgress.Restart();
                        partition.Position = offset + 1;
                        if (partition.Position == range.End) NextRange(consumer, partition, ref active);
                        break;
                    }
                    // Past the range's end: the rest of the range holds no message (compacted).
                    NextRange(consumer, partition, ref active);
                }
            }
        }
        finally
        {
            consumer.Close();
        }
        return new RangeReadSummary(messages, expected - messages, stopwatch.Elapsed);
    }

    private IConsumer<byte[], byte[]> BuildConsumer()
    {
        var config = KafkaClientConfig.Consumer(
            _bootstrapServers,
            groupId: $"{_clientId}-{Guid.NewGuid():N}", // required by the client, never joined: partitions are assigned
            _clientId,
            _options.FetchWaitMaxMs,
            _options.Settings);
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        config.EnablePartitionEof = true;
        // Only the topic of each message is needed besides its key, value and offset: leaving out the timestamp and
        // the headers saves marshalling them per message (bench training: roughly a third less CPU on 100,000 small messages).
        if (_options.Settings?.ContainsKey("dotnet.consumer.consume.result.fields") != true) config.ConsumeResultFields = "topic";
        // A range outside the partition's offsets is an error to report, never a silent jump elsewhere.
        config.AutoOffsetReset = AutoOffsetReset.Error;
        var logger = _options.Logger ?? NullLogger.Instance;
        return new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, log) => KafkaClientConfig.Log(logger, log))
            .SetErrorHandler((_, error) => logger.Log(error.IsFatal ? LogLevel.Error : LogLevel.Warning, "Kafka: {Reason}", error.Reason))
            .Build();
    }

    private static Dictionary<TopicPartition, PartitionState> PartitionsOf(IReadOnlyList<TopicRange> ranges)
    {
        var partitions = new Dictionary<TopicPartition, PartitionState>();
        foreach (var group in ranges.Select((range, index) => (Index: index, Range: range))
                     .Where(r => r.Range.Count > 0)
                     .GroupBy(r => new TopicPartition(r.Range.Topic, r.Range.Partition)))
        {
            var ordered = group.OrderBy(r => r.Range.Start).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                if (ordered[i].Range.Start < ordered[i - 1].Range.End)
                    throw new ArgumentException($"The ranges {ordered[i - 1].Range} and {ordered[i].Range} overlap; a message would be read twice.", nameof(ranges));
            }
            partitions[group.Key] = new PartitionState(group.Key, ordered);
        }
        return partitions;
    }

    private static void NextRange(IConsumer<byte[], byte[]> consumer, PartitionState partition, ref int active)
    {
        partition.Next++;
        if (partition.Done)
        {
            active--;
            consumer.Pause([partition.Partition]);
            return;
        }
        var start = partition.Current.Range.Start;
        if (start != partition.Position)
        {
            partition.Position = start;
            consumer.Seek(new TopicPartitionOffset(partition.Partition, start));
        }
    }

    /// <summary>
    /// The fetch position is outside the partition's offsets: gone for good when it is before the first
    /// offset (fail now), not there yet when it is at or past the end (retry until the timeout).
    /// </summary>
    private static void OnOutOfRange(IConsumer<byte[], byte[]> consumer, PartitionState partition)
    {
        WatermarkOffsets? marks = null;
        try
        {
            marks = consumer.QueryWatermarkOffsets(partition.Partition, WatermarkTimeout);
        }
        catch (KafkaException)
        {
            // Unknown: treat as not there yet; the timeout reports it.
        }
        if (marks is not null && partition.Position < marks.Low.Value)
        {
            var range = partition.Current.Range;
            throw new RangeReadException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe(partition.Partition)} now starts at offset {marks.Low.Value}: offsets {partition.Position}–{marks.Low.Value - 1} of the range {range} no longer exist (deleted by the topic's retention). Send the data again."));
        }
        partition.EndsAt = marks?.High.Value;
        partition.RetryAt = Stopwatch.GetTimestamp() + (long)(RetryAfterOutOfRange.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>
    /// Fetches again the partitions whose position was out of range, once their wait is over. A partition in that
    /// state refuses a seek, so every unfinished partition is assigned again at its position (nothing is lost:
    /// positions are the next offsets wanted).
    /// </summary>
    private static void RetryOutOfRange(IConsumer<byte[], byte[]> consumer, ICollection<PartitionState> partitions)
    {
        var now = Stopwatch.GetTimestamp();
        if (!partitions.Any(p => !p.Done && p.RetryAt is { } at && at <= now)) return;
        foreach (var partition in partitions) partition.RetryAt = null;
        consumer.Assign(partitions.Where(p => !p.Done).Select(p => new TopicPartitionOffset(p.Partition, p.Position)));
    }

    private RangeReadException Missing(IConsumer<byte[], byte[]> consumer, IEnumerable<PartitionState> unfinished)
    {
        var problems = new List<string>();
        foreach (var partition in unfinished)
        {
            var range = partition.Current.Range;
            long? end = partition.EndsAt;
            try
            {
                end = consumer.QueryWatermarkOffsets(partition.Partition, WatermarkTimeout).High.Value;
            }
            catch (KafkaException)
            {
                // Keep what the last end-of-partition event said, if anything.
            }
            problems.Add(end is { } high && high < range.End
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{Describe(partition.Partition)} ends at offset {high}, but the range {range} needs offsets up to {range.End - 1} ({range.End - Math.Max(high, partition.Position)} messages missing)")
                : string.Create(CultureInfo.InvariantCulture,
                    $"no message of {Describe(partition.Partition)} arrived from offset {partition.Position} (range {range}); the broker may be unreachable"));
        }
        return new RangeReadException(string.Create(CultureInfo.InvariantCulture,
            $"The data named by the control message is not all there after waiting {_options.MissingDataTimeout.TotalSeconds:0.#} s: {string.Join("; ", problems)}."));
    }

    private static string Describe(TopicPartition partition) =>
        string.Create(CultureInfo.InvariantCulture, $"topic {partition.Topic} partition {partition.Partition.Value}");

    private sealed class PartitionState(TopicPartition partition, List<(int Index, TopicRange Range)> ranges)
    {
        public TopicPartition Partition { get; } = partition;

        /// <summary>The index in <c>ranges</c> of the range being read.</summary>
        public int Next { get; set; }

        public bool Done => Next >= ranges.Count;

        public (int Index, TopicRange Range) Current => ranges[Next];

        /// <summary>The next offset wanted.</summary>
        public long Position { get; set; } = ranges[0].Range.Start;

        /// <summary>The partition's end as last seen (end-of-partition or out-of-range), while data is missing.</summary>
        public long? EndsAt { get; set; }

        /// <summary>When to seek again after an out-of-range fetch (a <see cref="Stopwatch"/> timestamp).</summary>
        public long? RetryAt { get; set; }
    }
}
