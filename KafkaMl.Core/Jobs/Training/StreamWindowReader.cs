using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Reads an online stream (every partition of a bare topic) in windows of decoded samples for an incremental
/// training, with a consumer group of its own per result (<see cref="GroupId"/>). Used from one thread at a time.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>Where it starts</b>: at the group's committed offsets (a job restarted for the same result resumes
/// there); otherwise per partition at the first offset whose timestamp is at or after the control message's
/// (Kafka's offsets-for-times). Where the broker answers no offset (the embedded broker does not implement the
/// lookup), it reads from the earliest offset. Either way messages timestamped before the control message are
/// passed over, so older data on the topic is never trained on.</item>
/// <item><b>Undecodable messages</b> go to <c>&lt;topic&gt;.dlq</c> (<see cref="DeadLetters"/>) and are counted
/// (<see cref="DeadLettered"/>); they never stop the job.</item>
/// <item><b>Commits</b>: <see cref="Commit"/> commits the offsets after the last window read, once the caller
/// trained on it.</item>
/// </list>
/// </remarks>
internal sealed class StreamWindowReader : IDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(10);

    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly DeadLetterWriter _deadLetters;
    private readonly IDataDecoder _decoder;
    private readonly string _topic;
    private readonly long _notBeforeMs;
    private readonly Dictionary<int, long> _next = [];
    private readonly Stopwatch _sinceMessage = Stopwatch.StartNew();
    private readonly IProgress<string>? _log;

    private StreamWindowReader(IConsumer<byte[]?, byte[]?> consumer, DeadLetterWriter deadLetters, IDataDecoder decoder,
        string topic, long notBeforeMs, IProgress<string>? log)
    {
        (_consumer, _deadLetters, _decoder, _topic, _notBeforeMs, _log) = (consumer, deadLetters, decoder, topic, notBeforeMs, log);
    }

    /// <summary>The consumer group of result <paramref name="resultId"/>'s incremental training (where its offsets are committed).</summary>
    public static string GroupId(int resultId) => string.Create(CultureInfo.InvariantCulture, $"kafkaml-incremental-{resultId}");

    /// <summary>Messages sent to the dead-letter topic so far.</summary>
    public long DeadLettered => _deadLetters.Count;

    /// <summary>Whether the group had committed offsets to start from (a resumed job).</summary>
    public bool Resumed { get; private set; }

    /// <summary>Time since the last message of the stream arrived (or since its partitions were assigned).</summary>
    public TimeSpan SinceLastMessage => _sinceMessage.Elapsed;

    /// <summary>Opens the stream <paramref name="topic"/>, positioned as the remarks say.</summary>
    /// <param name="end">How long to wait for the topic to exist (null: until cancelled).</param>
    /// <param name="unlabelled">Whether the stream is unlabelled data (<see cref="UnlabelledDecoder"/>: values only).</param>
    /// <param name="resumeAt">A resumed job's position (<see cref="StreamProgress.ResumeAt"/>): wins over the group's committed offsets.</param>
    public static StreamWindowReader Open(TrainingRun run, string topic, DateTimeOffset notBefore, TimeSpan? end,
        IReadOnlyDictionary<string, long> resumeAt, CancellationToken cancellationToken, bool unlabelled = false)
    {
        var decoder = run.CreateDecoder();
        if (unlabelled) decoder = new UnlabelledDecoder(decoder);
        var context = run.Context;
        var config = KafkaClientConfig.Consumer(context.BootstrapServers, GroupId(context.ResultId),
            $"kafkaml-incremental-{context.ResultId}", settings: context.KafkaSettings);
        config.EnableAutoCommit = false;
        var consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler((_, entry) => KafkaClientConfig.Log(context.KafkaLogger, entry))
            .Build();
        var deadLetters = new DeadLetterWriter(context, $"kafkaml-incremental-{context.ResultId}-dlq", run.Log);
        var reader = new StreamWindowReader(consumer, deadLetters, decoder, topic, notBefore.ToUnixTimeMilliseconds(), run.Log);
        try
        {
            reader.Assign(end, resumeAt, cancellationToken);
            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The next window: up to <paramref name="size"/> samples, closed early when the stream is quiet for
    /// <paramref name="quiet"/>; null when no message came for <paramref name="end"/> (null: never ends) and no sample is held.
    /// </summary>
    public SampleSet? ReadWindow(int size, TimeSpan quiet, TimeSpan? end, CancellationToken cancellationToken)
    {
        var builder = SampleSet.CreateBuilder(size);
        while (builder.Count < size)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var silence = _sinceMessage.Elapsed;
            if (builder.Count > 0 && silence >= quiet) break;
            if (builder.Count == 0 && end is { } limit && silence >= limit) return null;

            var result = _consumer.Consume(PollInterval);
            if (result is null || result.IsPartitionEOF) continue;
            _next[result.Partition.Value] = result.Offset.Value + 1;
            if (IsBefore(result)) continue;
            _sinceMessage.Restart();
            _deadLetters.TryAdd(builder, _decoder, result);
        }
        return builder.Count == 0 ? null : builder.Build();
    }

    /// <summary>The position after the messages read so far (<see cref="ModelVersionReport.StreamOffsets"/>).</summary>
    public IReadOnlyDictionary<string, long> Position() =>
        _next.ToDictionary(p => ModelVersionReport.StreamOffsetKey(_topic, p.Key), p => p.Value);

    /// <summary>Commits the position after the messages read so far (the caller trained on them).</summary>
    public void Commit()
    {
        if (_next.Count == 0) return;
        _deadLetters.Flush(); // dead letters are out before their offsets count as done
        _consumer.Commit(_next.Select(p => new TopicPartitionOffset(_topic, p.Key, p.Value)));
    }

    private bool IsBefore(ConsumeResult<byte[]?, byte[]?> result) =>
        result.Message.Timestamp.Type != TimestampType.NotAvailable && result.Message.Timestamp.UnixTimestampMs < _notBeforeMs;

    /// <summary>
    /// Assigns every partition of the topic: at a resumed version's position, else at the committed offsets, else from
    /// the control message's time.
    /// </summary>
    private void Assign(TimeSpan? end, IReadOnlyDictionary<string, long> resumeAt, CancellationToken cancellationToken)
    {
        var partitions = Partitions(end, cancellationToken);
        var committed = _consumer.Committed(partitions, KafkaTimeout).Where(c => c.Offset.Value >= 0).ToDictionary(c => c.Partition.Value, c => c.Offset);
        foreach (var partition in partitions)
        {
            if (resumeAt.TryGetValue(ModelVersionReport.StreamOffsetKey(_topic, partition.Partition.Value), out var offset))
                committed[partition.Partition.Value] = new Offset(offset);
        }
        Resumed = committed.Count > 0;
        var byTime = partitions.Where(p => !committed.ContainsKey(p.Partition.Value)).ToList();
        var found = byTime.Count == 0 ? [] : OffsetsForTimes(byTime);
        var start = partitions.Select(p => new TopicPartitionOffset(p,
            committed.TryGetValue(p.Partition.Value, out var at) ? at
            : found.TryGetValue(p.Partition.Value, out var time) ? time
            : Offset.Beginning)).ToList();
        _consumer.Assign(start);
        // The quiet time counts from here: finding the topic and the group's offsets can take longer than a short
        // stream timeout (a cold group coordinator), and a stream is not quiet before it could be read at all.
        _sinceMessage.Restart();
        _log?.Report($"reading the online stream {_topic} from {string.Join(", ", start.Select(Describe))}{(Resumed ? " (resuming where the last version or the committed offsets left off)" : "")}");
    }

    private Dictionary<int, Offset> OffsetsForTimes(List<TopicPartition> partitions)
    {
        try
        {
            return _consumer.OffsetsForTimes(partitions.Select(p => new TopicPartitionTimestamp(p, new Timestamp(_notBeforeMs, TimestampType.CreateTime))), KafkaTimeout)
                .Where(o => o.Offset.Value >= 0)
                .ToDictionary(o => o.Partition.Value, o => o.Offset);
        }
        catch (KafkaException)
        {
            return []; // the broker lacks the lookup: read from the earliest offset, passing over older messages
        }
    }

    /// <summary>The topic's partitions, waiting while it does not exist yet (a sink creates it with its first message).</summary>
    private List<TopicPartition> Partitions(TimeSpan? end, CancellationToken cancellationToken)
    {
        using var admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
        var said = false;
        while (true)
        {
            var metadata = admin.GetMetadata(_topic, KafkaTimeout).Topics.FirstOrDefault(t => t.Topic == _topic);
            if (metadata is { Error.IsError: false, Partitions.Count: > 0 })
                return [.. metadata.Partitions.Select(p => new TopicPartition(_topic, p.PartitionId)).OrderBy(p => p.Partition.Value)];
            if (end is { } limit && _sinceMessage.Elapsed >= limit)
            {
                throw new TrainingJobException(string.Create(CultureInfo.InvariantCulture,
                    $"The online stream's topic '{_topic}' did not appear within the stream timeout ({limit.TotalMilliseconds:0} ms): nothing to train on."));
            }
            if (!said) _log?.Report($"the online stream's topic {_topic} does not exist yet; waiting for it");
            said = true;
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private static string Describe(TopicPartitionOffset p) => p.Offset == Offset.Beginning
        ? string.Create(CultureInfo.InvariantCulture, $"{p.Partition.Value}@earliest")
        : string.Create(CultureInfo.InvariantCulture, $"{p.Partition.Value}@{p.Offset.Value}");

    public void Dispose()
    {
        try
        {
            _deadLetters.Flush();
            _consumer.Close();
        }
        catch (KafkaException)
        {
            // Closing is best effort: the offsets that matter were committed after each window.
        }
        finally
        {
            _deadLetters.Dispose();
            _consumer.Dispose();
        }
    }
}
