using System.Diagnostics;
using Confluent.Kafka;
using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Sinks;

/// <summary>
/// Sends a data stream for a deployment, the .NET counterpart of Kafka-ML's Python sinks: samples
/// go to the data topic (value = features, key = label, in the sink's format), and
/// <see cref="CompleteAsync"/> announces them with one control message naming the
/// <c>topic:partition:start:end</c> ranges that were actually written, their total, the format and
/// its config, and the validation/test rates.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Send(ReadOnlySpan{float}, ReadOnlySpan{float})"/> hands the message to librdkafka and
/// returns: no task, no await, no wait per message; librdkafka batches (linger 5 ms) and the delivery
/// reports arrive on the producer's poll thread, where the offsets of each partition are recorded.
/// The ranges therefore come from what the broker acknowledged — unlike Kafka-ML's sink, which
/// compares end offsets before and after and would claim another producer's messages.
/// </para>
/// <para>
/// A sink is used from one thread. A delivery failure makes the next <c>Send</c> and
/// <see cref="CompleteAsync"/> throw <see cref="SinkDeliveryException"/>, and then no control message
/// is sent. Disposing a sink without completing it abandons the stream (no control message).
/// </para>
/// </remarks>
public abstract partial class KafkaSink : IDisposable
{
    /// <summary>Consecutive messages written to one partition before moving to the next, when no partition is fixed.</summary>
    internal const int SpreadBlock = 128;

    private const string ClientId = "kafkaml-sink";

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly TopicPartition _target;
    private readonly TopicPartition _unlabelledTarget;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private readonly OffsetTracker _offsets = new();
    private readonly Stopwatch _clock = new();
    private readonly ILogger? _logger;
    private long _spreadCounter;
    private long _unlabelledSpreadCounter;
    private long _sent;
    private long _bytes;
    private long _delivered;
    private long _failed;
    private long _unknownOffsets;
    private Error? _firstError;
    private Exception? _produceError;
    private bool _started;
    private int _state; // 0 open, 1 completing, 2 completed, 3 disposed

    protected KafkaSink(KafkaSinkOptions options, IDataEncoder encoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(encoder);
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), nameof(options));
        Options = options;
        Encoder = encoder;
        _logger = options.Logger;
        _target = new TopicPartition(options.Topic, options.Partition is { } p ? new Partition(p) : Partition.Any);
        _unlabelledTarget = new TopicPartition(options.UnlabelledTopic, _target.Partition);
        _onDelivery = OnDelivery;

        var builder = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.BulkProducer(options.BootstrapServers, ClientId, options.ProducerSettings))
            .SetLogHandler((_, log) => KafkaClientConfig.Log(_logger, log))
            .SetErrorHandler((_, error) => OnClientError(error));
        if (options.Partition is null)
        {
            builder.SetPartitioner(options.Topic, (_, count, _, _) => Spread(ref _spreadCounter, count));
            builder.SetPartitioner(options.UnlabelledTopic, (_, count, _, _) => Spread(ref _unlabelledSpreadCounter, count));
        }
        _producer = builder.Build();
    }

    public KafkaSinkOptions Options { get; }

    /// <summary>The format encoder (its <see cref="IDataEncoder.InputConfig"/> goes into the control message).</summary>
    public IDataEncoder Encoder { get; }

    public string Topic => Options.Topic;

    /// <summary>Messages handed to the producer.</summary>
    public long MessagesSent => Interlocked.Read(ref _sent);

    /// <summary>Messages the broker acknowledged.</summary>
    public long MessagesDelivered => Interlocked.Read(ref _delivered);

    /// <summary>Key and value bytes handed to the producer.</summary>
    public long BytesSent => Interlocked.Read(ref _bytes);

    /// <summary>Progress so far.</summary>
    public SinkProgress Progress => new(MessagesSent, MessagesDelivered, BytesSent, _clock.Elapsed);

    /// <summary>
    /// Sends one sample: <paramref name="features"/> as the value, <paramref name="label"/> as the key
    /// (empty: no key, unlabelled data). Returns once librdkafka holds the message.
    /// </summary>
    public void Send(ReadOnlySpan<float> features, ReadOnlySpan<float> label = default)
    {
        EnsureLabelledOpen();
        var message = Encoder.Encode(features, label);
        Produce(_target, message.Key, message.Value);
    }

    /// <summary>Sends an already-encoded message (e.g. bytes produced by another encoder of the same format).</summary>
    public void SendEncoded(byte[] value, byte[]? key)
    {
        ArgumentNullException.ThrowIfNull(value);
        EnsureLabelledOpen();
        Produce(_target, key, value);
    }

    /// <summary>
    /// Starts the stream. For an online sink this sends the control message (and waits for the broker
    /// to accept it) before any data; for a bounded sink it only starts the clock. The first
    /// <c>Send</c> starts the sink when this was not called.
    /// </summary>
    public void Start()
    {
        EnsureOpen();
        StartCore();
    }

    private void StartCore()
    {
        if (_started) return;
        // A semi-supervised online stream announces itself once its labelled part is written (AnnounceLabelledPart).
        if (Options.Online && !SemiSupervisedOnline)
        {
            var control = OnlineControlMessage();
            DeliverControl(control, CancellationToken.None).GetAwaiter().GetResult();
            OnlineControl = control;
        }
        _started = true;
        _clock.Start();
    }

    /// <summary><see cref="Start"/>, without blocking the caller.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) => Task.Run(Start, cancellationToken);

    /// <summary>The control message an online sink sent when it started.</summary>
    public ControlMessage? OnlineControl { get; private set; }

    /// <summary>
    /// Waits until every message is acknowledged, then (bounded sink) sends the control message for
    /// the ranges written. Throws <see cref="SinkDeliveryException"/> — and sends no control message —
    /// when any message failed.
    /// </summary>
    public async Task<SinkResult> CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            throw new InvalidOperationException(_state == 3 ? "The sink is disposed." : "The sink was already completed.");
        try
        {
            StartCore();
            await Task.Run(() => Drain(cancellationToken), cancellationToken).ConfigureAwait(false);
            ThrowIfFailed();
            _clock.Stop();

            var ranges = _offsets.Ranges(Topic);
            var total = TopicRanges.Total(ranges);
            var unlabelled = _unlabelledOffsets.Ranges(UnlabelledTopic);
            ControlMessage? control = OnlineControl;
            if (!Options.Online)
            {
                if (total == 0) throw new InvalidOperationException("No message was sent, so there is no stream to announce; no control message was sent.");
                control = ControlMessage.ForRanges(ranges, Encoder.Format, InputConfig.From(Encoder.InputConfig),
                    Options.Description, Options.ValidationRate, Options.TestRate) with
                {
                    DatasetRestrictions = Options.DatasetRestrictions?.DeepClone(),
                    UnsupervisedTopic = unlabelled.Count > 0 ? TopicRanges.Format(unlabelled) : null,
                };
                await DeliverControl(control, cancellationToken).ConfigureAwait(false);
            }
            else if (control is null)
            {
                // A semi-supervised online stream that never got to unlabelled samples: announce its labelled part alone.
                control = await AnnounceLabelledAsync(ranges, unsupervisedTopic: null, cancellationToken).ConfigureAwait(false);
            }
            Options.Progress?.Report(Progress);
            _state = 2;
            return new SinkResult(ranges, total, BytesSent, _clock.Elapsed, control, unlabelled);
        }
        catch
        {
            _state = 2;
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _state, 3) == 3) return;
        _producer.Dispose();
        GC.SuppressFinalize(this);
    }

    // ---- the hot path ----

    private void Produce(TopicPartition target, byte[]? key, byte[] value)
    {
        if (Volatile.Read(ref _firstError) is not null || _produceError is not null) ThrowIfFailed();
        if (!_started) StartCore();
        var message = new Message<byte[], byte[]> { Key = key!, Value = value };
        while (true)
        {
            try
            {
                _producer.Produce(target, message, _onDelivery);
                break;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                Thread.Sleep(1); // librdkafka's queue is full: let the poll thread drain delivery reports
            }
            catch (ProduceException<byte[], byte[]> e)
            {
                _produceError = e;
                throw new SinkDeliveryException($"The message could not be queued for {target.Topic}: {e.Error.Reason}", 1, e);
            }
        }
        var sent = Interlocked.Increment(ref _sent);
        Interlocked.Add(ref _bytes, value.Length + (key?.Length ?? 0));
        if (Options.Progress is { } progress && sent % Options.ProgressInterval == 0) progress.Report(Progress);
    }

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            Interlocked.CompareExchange(ref _firstError, report.Error, null);
        }
        else if (report.Offset.Value < 0)
        {
            Interlocked.Increment(ref _unknownOffsets); // acks=0: the broker never says where it put it
        }
        else
        {
            (report.Topic == Topic ? _offsets : _unlabelledOffsets).Record(report.Partition.Value, report.Offset.Value);
        }
        Interlocked.Increment(ref _delivered);
    }

    /// <summary>The partition of a topic's next message: blocks of <see cref="SpreadBlock"/> messages, partition after partition.</summary>
    private static Partition Spread(ref long counter, int partitionCount)
    {
        var n = Interlocked.Increment(ref counter) - 1;
        return new Partition((int)(n / SpreadBlock % partitionCount));
    }

    // ---- completion ----

    private void Drain(CancellationToken cancellationToken)
    {
        _producer.Flush(cancellationToken);
        // Flush returns when librdkafka's queue is empty; the last delivery callbacks may still be
        // running on the poll thread, so wait until every message is accounted for.
        var spinner = new SpinWait();
        while (Interlocked.Read(ref _delivered) < Interlocked.Read(ref _sent))
        {
            cancellationToken.ThrowIfCancellationRequested();
            spinner.SpinOnce(sleep1Threshold: 20);
        }
    }

    private void ThrowIfFailed()
    {
        if (_produceError is { } produceError)
            throw new SinkDeliveryException($"A message could not be queued for {Topic}; no control message was sent.", Math.Max(1, Interlocked.Read(ref _failed)), produceError);
        if (Volatile.Read(ref _firstError) is { } error)
        {
            var failed = Interlocked.Read(ref _failed);
            throw new SinkDeliveryException(
                $"{(failed == 0 ? "The producer" : $"{failed} message(s) to {Topic}")} failed: {error.Reason} ({error.Code}); no control message was sent.",
                failed, new KafkaException(error));
        }
        if (Interlocked.Read(ref _unknownOffsets) is > 0 and var unknown)
            throw new SinkDeliveryException(
                $"{unknown} message(s) were delivered without an offset (acks=0?), so their ranges are unknown; no control message was sent.", unknown);
    }

    private ControlMessage OnlineControlMessage() => new ControlMessage
    {
        Topic = Topic,
        InputFormat = Encoder.Format,
        InputConfig = InputConfig.From(Encoder.InputConfig),
        Description = Options.Description,
        ValidationRate = Options.ValidationRate,
        TestRate = Options.TestRate,
        TotalMsg = null,
        DatasetRestrictions = Options.DatasetRestrictions?.DeepClone(),
        Incremental = true,
    }.EnsureValid();

    /// <summary>
    /// The control message's key: an online stream's is the deployment id as one raw byte, as Kafka-ML's
    /// OnlineRawSink sends it (ids up to 255; larger ones as decimal digits, which no one-byte key can hold); a
    /// bounded stream's is KafkaMl's decimal digits. The training job reads both.
    /// </summary>
    private byte[] ControlKey(ControlMessage control) => control.Incremental && Options.DeploymentId <= byte.MaxValue
        ? DeploymentKey.EncodeOneByte((int)Options.DeploymentId)
        : DeploymentKey.Encode(Options.DeploymentId);

    private async Task DeliverControl(ControlMessage control, CancellationToken cancellationToken)
    {
        try
        {
            await _producer.ProduceAsync(
                Options.ControlTopic,
                new Message<byte[], byte[]> { Key = ControlKey(control), Value = control.ToUtf8Json() },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            throw new SinkDeliveryException($"The control message could not be delivered to {Options.ControlTopic}: {e.Error.Reason}", 1, e);
        }
    }

    private void OnClientError(Error error)
    {
        _logger?.LogWarning("Kafka producer error {Code}: {Reason}", error.Code, error.Reason);
        if (error.IsFatal) Interlocked.CompareExchange(ref _firstError, error, null);
    }

    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_state == 3, this);
        if (_state != 0) throw new InvalidOperationException("The sink was completed; create a new one to send more.");
    }
}
