using System.Diagnostics;
using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Core.Inference;

/// <summary>
/// One inference replica: a consumer in the inference's group reads the input topic, each message is decoded
/// with the training's format code, predicted, and the prediction (<see cref="PredictionMessage"/>) is produced
/// to the output topic with the input's key and headers. Replicas in other processes share the partitions
/// through the group.
/// </summary>
/// <remarks>
/// <para><b>At-least-once.</b> <c>enable.auto.offset.store=false</c>: an input offset is stored only once the
/// answer to it and to every earlier message of its partition was delivered (delivery reports,
/// <see cref="PartitionProgress"/>); stored offsets are committed every second, and synchronously when
/// partitions are revoked (after the answers in flight for them are delivered) and when the engine stops. A
/// crash or a lost partition can only repeat predictions, never skip an input.</para>
/// <para><b>Micro-batching.</b> After a message arrives, whatever else already waits in the consumer's queue
/// (<c>Consume(0)</c>, up to <see cref="InferenceEngineOptions.MaxBatch"/>) is predicted in the same forward
/// pass; nothing waits for more, so a lone message goes through alone and at once.</para>
/// <para><b>Dead letters.</b> A message that cannot be decoded, does not fit the model's input, or makes the
/// model throw (found by predicting the batch's messages one by one) goes to <c>&lt;input&gt;.dlq</c>
/// (<see cref="DeadLetters"/>), is counted, and its offset is stored once the dead letter is delivered. Only a
/// fatal Kafka error or an undeliverable answer stops the replica (after committing what was delivered).</para>
/// <para><b>Incremental rebalancing.</b> Replicas use the cooperative-sticky assignor
/// (<see cref="KafkaClientConfig.ReplicaConsumer"/>): when a replica joins or leaves, the assigned and revoked
/// handlers get only the partitions that move, and the replica keeps consuming the ones it keeps through the
/// rebalance. The bookkeeping (<see cref="Assignment"/>) adds and removes exactly those.</para>
/// <para>The consume loop runs on a thread of its own (the model's dispose scopes and <c>no_grad</c> are per
/// thread); delivery reports arrive on the producer's thread. The engine writes nothing to the console.</para>
/// </remarks>
public sealed partial class InferenceEngine
{
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    private readonly ServedModel _served;
    private readonly IDataDecoder _decoder;
    private readonly InferenceEngineOptions _options;
    private readonly ILogger _logger;
    private readonly PredictionWriter _writer;
    private readonly Dictionary<int, PartitionProgress> _partitions = [];
    private readonly List<ConsumeResult<byte[]?, byte[]?>> _batch;
    private readonly List<int> _group;
    private readonly ManualResetEventSlim _deliveries = new(false);
    private readonly Lock _assignmentGate = new();
    private int[] _assignment = [];
    private IConsumer<byte[]?, byte[]?>? _consumer;
    private IProducer<byte[]?, byte[]?>? _producer; // this replica's Kafka: dead letters (and everything else when no chain stage says otherwise)
    private IProducer<byte[]?, byte[]?>? _answers; // the output topic's Kafka
    private IProducer<byte[]?, byte[]?>? _upper; // a chain stage's next stage's Kafka; null for other replicas
    private IProgress<InferenceProgress>? _progress;
    private DecodedSample[] _samples;
    private string?[] _errors;
    private readonly Activity?[] _spans; // each input's span (TracePropagation), from its decoding to its answer's delivery
    private Exception? _fatal;
    private long _deadLetterLogs;
    private int _started;

    /// <summary>An engine that serves <paramref name="model"/> (of no version) for its whole life.</summary>
    public InferenceEngine(InferenceModel model, IDataDecoder decoder, InferenceEngineOptions options, ILogger? logger = null)
        : this(new ServedModel(model, version: null), decoder, options, logger)
    {
    }

    /// <summary>An engine whose model can change while it runs: it swaps in what <paramref name="served"/> is offered, between batches.</summary>
    public InferenceEngine(ServedModel served, IDataDecoder decoder, InferenceEngineOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _served = served;
        _decoder = decoder;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _writer = new PredictionWriter(options.ModelName);
        _batch = new List<ConsumeResult<byte[]?, byte[]?>>(options.MaxBatch);
        _group = new List<int>(options.MaxBatch);
        _samples = new DecodedSample[options.MaxBatch];
        _errors = new string?[options.MaxBatch];
        _spans = new Activity?[options.MaxBatch];
        Stats = new InferenceStats(options.Replica, options.LatencyWindow, options.RecentPredictions) { Chain = options.Chain };
        Stats.SetModelVersion(served.Version);
    }

    public InferenceEngineOptions Options => _options;

    /// <summary>The model served now (read on the consuming thread only: a swap disposes the previous one).</summary>
    public InferenceModel Model => _served.Current;

    /// <summary>The served model and its version; offer it the next version to swap to.</summary>
    public ServedModel Served => _served;

    /// <summary>Counters, latency and recent predictions (live).</summary>
    public InferenceStats Stats { get; }

    /// <summary>The input partitions this replica holds now.</summary>
    public IReadOnlyList<int> Assignment
    {
        get { lock (_assignmentGate) return _assignment; }
    }

    /// <summary>
    /// Consumes until <paramref name="cancellationToken"/> is cancelled, then stops gracefully: no more
    /// consuming, answers in flight delivered, offsets committed, the group left. Completes normally after a
    /// requested stop; faults with <see cref="InferenceEngineException"/> on a fatal Kafka error or an answer
    /// that could not be delivered (after committing everything delivered before it).
    /// </summary>
    public Task RunAsync(IProgress<InferenceProgress>? progress, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("An inference engine runs once.");
        _progress = progress;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(cancellationToken);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = $"inference r{_options.Replica} {_options.InputTopic}",
        };
        thread.Start();
        return done.Task;
    }

    private void Run(CancellationToken cancellationToken)
    {
        // One producer per Kafka the replica writes to: a chain stage may answer on the first stage's and forward to the next stage's.
        var producers = new Dictionary<string, IProducer<byte[]?, byte[]?>>(StringComparer.Ordinal);
        IProducer<byte[]?, byte[]?> ProducerFor(string? servers)
        {
            servers ??= _options.BootstrapServers;
            if (!producers.TryGetValue(servers, out var producer)) producers[servers] = producer = BuildProducer(servers);
            return producer;
        }
        _producer = ProducerFor(null);
        _answers = ProducerFor(_options.Chain?.OutputBootstrapServers);
        _upper = _options.Chain is { IsFinal: false } stage ? ProducerFor(stage.UpperBootstrapServers) : null;
        var consumer = BuildConsumer();
        _consumer = consumer;
        try
        {
            consumer.Subscribe(_options.InputTopic);
            Report(InferenceProgressKind.Subscribed, []);
            _logger.LogInformation("Replica {Replica} consuming {Input} -> {Output} in group {Group} (dead letters to {DeadLetters})",
                _options.Replica, _options.InputTopic, _options.OutputTopic, _options.ConsumerGroup, _options.DeadLetterTopic);
            var pollTimeout = (int)_options.PollTimeout.TotalMilliseconds;
            while (!cancellationToken.IsCancellationRequested && Volatile.Read(ref _fatal) is null)
            {
                StoreDelivered();
                SwapIfOffered();
                var first = Consume(consumer, pollTimeout);
                if (first is null) continue;
                _batch.Add(first);
                while (_batch.Count < _options.MaxBatch && Consume(consumer, 0) is { } next) _batch.Add(next);
                ProcessBatch();
            }

            Report(InferenceProgressKind.Stopping, []);
            ProcessBatch();
            if (!Drain(_partitions.Values))
                _logger.LogWarning("Stopping replica {Replica}: answers were still in flight after {Timeout}; their inputs stay uncommitted and will be answered again", _options.Replica, _options.DrainTimeout);
            Commit(consumer, [.. _partitions.Values]);
        }
        finally
        {
            // Close revokes the assignment (OnRevoked: nothing left to drain, commits) and leaves the group; bounded, as a
            // close that hangs must not keep a stopping replica alive (the offsets were committed above).
            var closing = Task.Run(consumer.Close);
            try
            {
                if (closing.Wait(_options.CloseTimeout)) consumer.Dispose();
                else
                {
                    // Not disposed: destroying the client under a close still running is unsafe; the process is ending.
                    _logger.LogWarning("Replica {Replica} did not leave its group within {Timeout}; stopping without waiting (the group drops it after its session timeout)", _options.Replica, _options.CloseTimeout);
                }
            }
            catch (AggregateException e) when (e.InnerException is KafkaException kafka)
            {
                _logger.LogWarning("Closing the consumer of replica {Replica} failed: {Reason}", _options.Replica, kafka.Error.Reason);
                consumer.Dispose();
            }
            _consumer = null;
            _producer = _answers = _upper = null;
            foreach (var producer in producers.Values) producer.Dispose();
        }
        Report(InferenceProgressKind.Stopped, []);
        if (Volatile.Read(ref _fatal) is { } fatal)
            throw fatal as InferenceEngineException ?? new InferenceEngineException(fatal.Message, fatal);
    }

    /// <summary>Between batches, on the consuming thread: serves the model version offered meanwhile, if any.</summary>
    private void SwapIfOffered()
    {
        if (_served.SwapIfOffered() is not { } swap) return;
        Stats.SetModelVersion(swap.To);
        _logger.LogInformation("Replica {Replica} serves model version {Version} (was {Previous})", _options.Replica, swap.To, swap.From);
        _progress?.Report(new InferenceProgress(InferenceProgressKind.VersionSwapped, [], Assignment) { ModelVersion = swap.To, PreviousVersion = swap.From });
    }

    private ConsumeResult<byte[]?, byte[]?>? Consume(IConsumer<byte[]?, byte[]?> consumer, int timeoutMs)
    {
        try
        {
            return consumer.Consume(timeoutMs);
        }
        catch (ConsumeException e) when (!e.Error.IsFatal)
        {
            // e.g. the input topic does not exist yet: the subscription picks it up once it does.
            _logger.LogWarning("Replica {Replica} could not consume {Topic}: {Reason}", _options.Replica, _options.InputTopic, e.Error.Reason);
            if (timeoutMs > 0) Thread.Sleep(Math.Min(timeoutMs, 100));
            return null;
        }
        catch (ConsumeException e)
        {
            throw new InferenceEngineException($"The consumer of {_options.InputTopic} failed fatally: {e.Error.Reason}", e);
        }
    }

    private void Fail(Exception e)
    {
        if (Interlocked.CompareExchange(ref _fatal, e, null) is null)
            _logger.LogError("Replica {Replica} is stopping: {Reason}", _options.Replica, e.Message);
    }

    // ---- offsets ----

    /// <summary>Stores the offsets of every partition whose delivered prefix grew; the consumer commits them every second.</summary>
    private List<TopicPartitionOffset> StoreDelivered(IEnumerable<PartitionProgress>? partitions = null)
    {
        var stored = new List<TopicPartitionOffset>();
        foreach (var progress in partitions ?? _partitions.Values)
        {
            if (progress.Advance() is not { } next) continue;
            var offset = new TopicPartitionOffset(_options.InputTopic, progress.Partition, next);
            try
            {
                _consumer!.StoreOffset(offset);
                stored.Add(offset);
            }
            catch (KafkaException e)
            {
                _logger.LogDebug("Offset {Offset} not stored: {Reason}", offset, e.Error.Reason);
            }
        }
        return stored;
    }

    /// <summary>Waits until every answer handed out for these partitions is delivered (or failed); false at the drain timeout.</summary>
    private bool Drain(IEnumerable<PartitionProgress> partitions)
    {
        var list = partitions.ToList();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            _deliveries.Reset();
            if (list.All(p => p.Outstanding == 0)) return true;
            if (clock.Elapsed > _options.DrainTimeout) return false;
            _deliveries.Wait(TimeSpan.FromMilliseconds(20));
        }
    }

    /// <summary>Stores what is delivered and commits these partitions' offsets synchronously.</summary>
    private void Commit(IConsumer<byte[]?, byte[]?> consumer, IReadOnlyCollection<PartitionProgress> partitions)
    {
        StoreDelivered(partitions);
        if (partitions.Count == 0) return;
        try
        {
            var committed = consumer.Commit();
            _logger.LogDebug("Replica {Replica} committed {Offsets}", _options.Replica, string.Join(", ", committed));
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_NoOffset)
        {
            // Nothing new since the last commit.
        }
        catch (KafkaException e)
        {
            _logger.LogWarning("Replica {Replica} could not commit its offsets: {Reason}; their messages may be answered again", _options.Replica, e.Error.Reason);
        }
    }

    // ---- the group ----

    /// <summary>Cooperative rebalancing: <paramref name="partitions"/> are only the ones added (often none); the others stay.</summary>
    private void OnAssigned(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions)
    {
        foreach (var tp in partitions) _partitions[tp.Partition.Value] = new PartitionProgress(tp.Partition.Value);
        SetAssignment();
        _logger.LogInformation("Replica {Replica} assigned {Partitions}", _options.Replica, Describe(partitions.Select(p => p.Partition.Value)));
        Report(InferenceProgressKind.Assigned, [.. partitions.Select(p => p.Partition.Value)]);
    }

    /// <summary>
    /// Inside <c>Consume</c> or <c>Close</c>, on the consuming thread: answer, deliver and commit before letting go. With
    /// cooperative rebalancing <paramref name="partitions"/> are only the ones moving to another replica.
    /// </summary>
    private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> partitions)
    {
        ProcessBatch(); // messages consumed while gathering a batch
        var revoked = partitions.Select(p => p.Partition.Value).Where(_partitions.ContainsKey).Select(p => _partitions[p]).ToList();
        if (!Drain(revoked))
            _logger.LogWarning("Answers for revoked partitions {Partitions} were still in flight after {Timeout}; those inputs will be answered again", Describe(revoked.Select(p => p.Partition)), _options.DrainTimeout);
        Commit(consumer, revoked);
        foreach (var p in partitions) _partitions.Remove(p.Partition.Value);
        SetAssignment();
        _logger.LogInformation("Replica {Replica} revoked {Partitions}", _options.Replica, Describe(partitions.Select(p => p.Partition.Value)));
        Report(InferenceProgressKind.Revoked, [.. partitions.Select(p => p.Partition.Value)]);
    }

    private void OnLost(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> partitions)
    {
        ProcessBatch();
        foreach (var p in partitions) _partitions.Remove(p.Partition.Value);
        SetAssignment();
        _logger.LogWarning("Replica {Replica} lost {Partitions}; their uncommitted messages will be answered again by their new owner", _options.Replica, Describe(partitions.Select(p => p.Partition.Value)));
        Report(InferenceProgressKind.Lost, [.. partitions.Select(p => p.Partition.Value)]);
    }

    private void SetAssignment()
    {
        lock (_assignmentGate) _assignment = [.. _partitions.Keys.Order()];
        Stats.SetPartitions(_assignment);
    }

    private void Report(InferenceProgressKind kind, IReadOnlyList<int> partitions) =>
        _progress?.Report(new InferenceProgress(kind, partitions, Assignment));

    private static string Describe(IEnumerable<int> partitions) => "[" + string.Join(", ", partitions.Order()) + "]";

    // ---- clients ----

    private IConsumer<byte[]?, byte[]?> BuildConsumer()
    {
        var config = KafkaClientConfig.ReplicaConsumer(_options.BootstrapServers, _options.ConsumerGroup, _options.EffectiveClientId,
            _options.GroupInstanceId, _options.SessionTimeoutMs, _options.KafkaSettings, _options.FetchWaitMaxMs, _options.GroupProtocol);
        return new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetKeyDeserializer(Deserializers.ByteArray)
            .SetValueDeserializer(Deserializers.ByteArray)
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler(OnLost)
            .SetErrorHandler((_, error) => OnClientError("consumer", error))
            .SetLogHandler((_, log) => KafkaClientConfig.Log(_logger, log))
            .Build();
    }

    private IProducer<byte[]?, byte[]?> BuildProducer(string bootstrapServers)
    {
        var config = KafkaClientConfig.LowLatencyProducer(bootstrapServers, _options.EffectiveClientId, _options.LingerMs, settings: _options.KafkaSettings);
        config.DeliveryReportFields ??= "none"; // the handler needs only the error
        return new ProducerBuilder<byte[]?, byte[]?>(config)
            .SetKeySerializer(Serializers.ByteArray)
            .SetValueSerializer(Serializers.ByteArray)
            .SetErrorHandler((_, error) => OnClientError("producer", error))
            .SetLogHandler((_, log) => KafkaClientConfig.Log(_logger, log))
            .Build();
    }

    private void OnClientError(string client, Error error)
    {
        if (error.IsFatal) Fail(new InferenceEngineException($"The {client} failed fatally: {error.Reason} ({error.Code})"));
        else _logger.LogWarning("Kafka {Client} of replica {Replica}: {Reason}", client, _options.Replica, error.Reason);
    }
}

/// <summary>The engine stopped because of a fatal Kafka error or an answer it could not deliver.</summary>
public sealed class InferenceEngineException : Exception
{
    public InferenceEngineException(string message) : base(message) { }

    public InferenceEngineException(string message, Exception inner) : base(message, inner) { }
}
