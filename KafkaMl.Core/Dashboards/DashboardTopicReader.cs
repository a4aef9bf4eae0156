using System.Diagnostics;
using Confluent.Kafka;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Dashboards;

/// <summary>
/// One consumer over a predictions topic (and a label topic, when a dashboard joins them), handing every message to
/// <c>onMessage</c> on its own thread until stopped. It assigns the partitions itself (no consumer group to join,
/// nothing committed: a dashboard keeps nothing) and starts at the topic's end, or at the offsets of a time when
/// replaying (Kafka's offsets-for-times; where the broker answers none, as the embedded broker does, it reads from the
/// earliest offset and passes over what was written before that time). The topics are looked up again every few
/// seconds: a topic that did not exist is read from its beginning once it does, and partitions added are picked up.
/// Bad messages are the caller's to count; only a fatal Kafka error stops the reader.
/// </summary>
public sealed class DashboardTopicReader : IAsyncDisposable
{
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LookupInterval = TimeSpan.FromSeconds(2);

    private readonly ConsumerConfig config;
    private readonly string topic;
    private readonly string? labelTopic;
    private readonly Action<bool, ConsumeResult<byte[]?, byte[]?>> onMessage;
    private readonly Action onReplay;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stop = new();
    private readonly HashSet<TopicPartition> assigned = [];
    private Task? loop;
    private DateTimeOffset? pendingReplay;
    private long notBeforeMs = long.MinValue;
    private long consumed;
    private bool lookedUp;

    /// <param name="onMessage">Called for each message, with true when it comes from the label topic.</param>
    /// <param name="onReplay">Called on the reader's thread just before it reads back (the figures start again).</param>
    public DashboardTopicReader(ConsumerConfig config, string topic, string? labelTopic,
        Action<bool, ConsumeResult<byte[]?, byte[]?>> onMessage, Action onReplay, ILogger logger)
    {
        this.config = config;
        config.EnableAutoCommit = false;
        config.EnablePartitionEof = false;
        config.AllowAutoCreateTopics = false; // watching a topic never creates it
        (this.topic, this.labelTopic, this.onMessage, this.onReplay, this.logger) = (topic, labelTopic, onMessage, onReplay, logger);
    }

    public DashboardState State { get; private set; } = DashboardState.Starting;

    /// <summary>Why the reader does not read, or what it cannot read (a missing label topic), for people; null when all is well.</summary>
    public string? Problem { get; private set; }

    /// <summary>Messages read from both topics since the start.</summary>
    public long Consumed => Interlocked.Read(ref consumed);

    /// <summary>Starts reading on a thread of its own, from the end, or from <paramref name="from"/> when given.</summary>
    public void Start(DateTimeOffset? from = null)
    {
        pendingReplay = from;
        loop = Task.Factory.StartNew(() => Run(stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Reads back from <paramref name="from"/>: the reader's thread calls <c>onReplay</c>, then repositions.</summary>
    public void Replay(DateTimeOffset from) => pendingReplay = from;

    private void Run(CancellationToken token)
    {
        IConsumer<byte[]?, byte[]?>? consumer = null;
        try
        {
            consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
                .SetLogHandler((_, entry) => KafkaClientConfig.Log(logger, entry))
                .SetErrorHandler((_, error) => logger.LogDebug("Dashboard reader of {Topic}: {Reason}", topic, error.Reason))
                .Build();
            var sinceLookup = Stopwatch.StartNew();
            var initial = true;
            TryLookup(consumer, token);
            while (!token.IsCancellationRequested)
            {
                if (sinceLookup.Elapsed >= LookupInterval)
                {
                    TryLookup(consumer, token);
                    sinceLookup.Restart();
                }
                if (pendingReplay is { } from && State == DashboardState.Reading)
                {
                    pendingReplay = null;
                    if (!initial) onReplay();
                    Reposition(consumer, from);
                }
                initial = false;
                if (assigned.Count == 0)
                {
                    token.WaitHandle.WaitOne(200);
                    continue;
                }
                ConsumeOne(consumer, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopped.
        }
        catch (KafkaException e)
        {
            State = DashboardState.Failed;
            Problem = $"Reading '{topic}' failed: {e.Error.Reason}";
            logger.LogWarning(e, "The dashboard reader of {Topic} stopped: {Reason}", topic, e.Error.Reason);
        }
        finally
        {
            try
            {
                consumer?.Close();
            }
            catch (KafkaException)
            {
                // Nothing was committed: closing only leaves.
            }
            consumer?.Dispose();
        }
    }

    private void ConsumeOne(IConsumer<byte[]?, byte[]?> consumer, CancellationToken token)
    {
        ConsumeResult<byte[]?, byte[]?>? result;
        try
        {
            result = consumer.Consume(100);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            Problem = $"Kafka: {e.Error.Reason}";
            logger.LogDebug("Dashboard reader of {Topic}: {Reason}", topic, e.Error.Reason);
            token.WaitHandle.WaitOne(200);
            return;
        }
        if (result?.Message is null) return;
        Interlocked.Increment(ref consumed);
        var timestamp = result.Message.Timestamp;
        if (timestamp.Type != TimestampType.NotAvailable && timestamp.UnixTimestampMs < Volatile.Read(ref notBeforeMs)) return;
        onMessage(result.Topic == labelTopic && result.Topic != topic, result);
    }

    /// <summary>
    /// <see cref="Lookup"/>, saying why when Kafka cannot answer now (a broker restarting, a network hiccup): the
    /// reader goes on and looks again, rather than leaving its viewers with a dashboard that stopped for good.
    /// </summary>
    private void TryLookup(IConsumer<byte[]?, byte[]?> consumer, CancellationToken token)
    {
        try
        {
            Lookup(consumer, token);
        }
        catch (KafkaException e) when (!e.Error.IsFatal)
        {
            Problem = $"Kafka does not answer about '{topic}' now ({e.Error.Reason}); looking again.";
            logger.LogDebug("Dashboard reader of {Topic}: lookup failed: {Reason}", topic, e.Error.Reason);
        }
    }

    /// <summary>
    /// Assigns partitions not seen before: at the end on the first lookup that succeeds (or the replay's time), else
    /// from their beginning (a topic or partition made since: all of it is new).
    /// </summary>
    private void Lookup(IConsumer<byte[]?, byte[]?> consumer, CancellationToken token)
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var found = new List<TopicPartition>();
        var missing = new List<string>();
        foreach (var name in labelTopic is null ? [topic] : new[] { topic, labelTopic })
        {
            token.ThrowIfCancellationRequested();
            var metadata = admin.GetMetadata(name, KafkaTimeout).Topics.FirstOrDefault(t => t.Topic == name);
            if (metadata is { Error.IsError: false, Partitions.Count: > 0 })
                found.AddRange(metadata.Partitions.Select(p => new TopicPartition(name, p.PartitionId)));
            else missing.Add(name);
        }
        var fresh = found.Where(p => !assigned.Contains(p)).ToList();
        if (fresh.Count > 0)
        {
            var start = !lookedUp && pendingReplay is null ? Offset.End : Offset.Beginning;
            assigned.UnionWith(fresh);
            consumer.IncrementalAssign(fresh.Select(p => new TopicPartitionOffset(p, start)));
        }
        lookedUp = true;
        State = missing.Contains(topic) ? DashboardState.TopicMissing : DashboardState.Reading;
        Problem = missing.Count == 0 ? null
            : missing.Contains(topic) ? $"The topic '{topic}' does not exist (yet): nothing to show until it does."
            : $"The label topic '{labelTopic}' does not exist (yet): no accuracy until it does.";
    }

    /// <summary>Moves every assigned partition to the first offset at or after <paramref name="from"/>.</summary>
    private void Reposition(IConsumer<byte[]?, byte[]?> consumer, DateTimeOffset from)
    {
        var ms = from.ToUnixTimeMilliseconds();
        Dictionary<TopicPartition, Offset> byTime;
        try
        {
            byTime = consumer.OffsetsForTimes(assigned.Select(p => new TopicPartitionTimestamp(p, new Timestamp(ms, TimestampType.CreateTime))), KafkaTimeout)
                .Where(o => o.Offset.Value >= 0)
                .ToDictionary(o => o.TopicPartition, o => o.Offset);
        }
        catch (KafkaException)
        {
            byTime = []; // the broker lacks the lookup: from the earliest offset, passing over older messages
        }
        Volatile.Write(ref notBeforeMs, ms);
        // No offset at that time: nothing newer was written, or the broker cannot say; the earliest covers both.
        // Assigned again rather than sought: a seek fails on a partition not fetched from yet.
        consumer.IncrementalUnassign(assigned);
        consumer.IncrementalAssign(assigned.Select(p => new TopicPartitionOffset(p, byTime.TryGetValue(p, out var at) ? at : Offset.Beginning)));
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (loop is not null) await loop;
        stop.Dispose();
    }
}
