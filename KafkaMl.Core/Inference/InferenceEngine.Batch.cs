using System.Diagnostics;
using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Inference;

/// <summary>
/// The engine's work on one micro-batch (decode, check, predict, produce, and the delivery reports that
/// complete it); the consuming loop, the rebalances and the commits are in <c>InferenceEngine.cs</c>.
/// </summary>
public sealed partial class InferenceEngine
{
    // ---- one micro-batch: decode, check, predict, produce ----

    private void ProcessBatch()
    {
        var count = _batch.Count;
        if (count == 0) return;
        Stats.CountIn(count);
        var valid = 0;
        for (var i = 0; i < count; i++)
        {
            var result = _batch[i];
            _errors[i] = null;
            _samples[i] = default;
            _spans[i] = TracePropagation.StartProcessing(result, _options.ConsumerGroup);
            try
            {
                var sample = _decoder.Decode(default, result.Message.Value);
                if (_served.Current.Problem(sample) is { } problem) _errors[i] = problem;
                else
                {
                    _samples[i] = sample;
                    valid++;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _errors[i] = e is DataFormatException ? e.Message : $"The message cannot be decoded as {_decoder.Format}: {e.Message}";
            }
            if (_errors[i] is { } error) DeadLetter(i, error);
        }

        // Normally one shape for the whole batch; messages of another shape form their own forward passes.
        while (valid > 0)
        {
            _group.Clear();
            long[]? shape = null;
            for (var i = 0; i < count; i++)
            {
                if (_errors[i] is not null || _samples[i].Features is null) continue;
                var tensorShape = _served.Current.TensorShape(_samples[i]);
                shape ??= tensorShape;
                if (!tensorShape.AsSpan().SequenceEqual(shape)) continue;
                _group.Add(i);
            }
            PredictGroup(_group, shape!);
            foreach (var i in _group) _samples[i] = default;
            valid -= _group.Count;
        }
        for (var i = 0; i < count; i++) TakeSpan(i)?.Stop(); // none should be left: each input was answered, forwarded or dead-lettered
        _batch.Clear();
    }

    private void PredictGroup(List<int> group, long[] shape)
    {
        var width = _samples[group[0]].Features.Length;
        var features = new float[group.Count * width];
        for (var j = 0; j < group.Count; j++) _samples[group[j]].Features.CopyTo(features, j * width);
        PredictionBatch predictions;
        try
        {
            predictions = _served.Current.Predict(features, shape, group.Count);
        }
        catch (InferenceModelException e)
        {
            if (group.Count == 1)
            {
                DeadLetter(group[0], e.Message);
                return;
            }
            // Find the message(s) the model fails on: predict one by one.
            _logger.LogDebug("The model failed on a batch of {Count}; predicting its messages one by one: {Reason}", group.Count, e.Message);
            foreach (var i in group.ToArray()) PredictGroup([i], shape);
            return;
        }

        Stats.CountBatch(group.Count);
        var recentFrom = group.Count - Math.Min(group.Count, _options.RecentPredictions);
        var stage = _options.Chain;
        for (var j = 0; j < group.Count; j++)
        {
            var result = _batch[group[j]];
            var values = predictions.Values(j);
            if (stage is not null && !stage.Answers(Chains.ExitConfidence.Of(_served.Current.Loss, values)))
            {
                Forward(group[j], predictions.Upward(j), stage);
                continue;
            }
            var predicted = predictions.Class(j);
            var partition = result.Partition.Value;
            var offset = result.Offset.Value;
            var message = new Message<byte[]?, byte[]?>
            {
                Key = result.Message.Key,
                Value = _writer.Write(values, predicted, partition, offset, _served.Version, stage?.Stage),
                Headers = TracedHeaders(group[j]),
            };
            if (stage is not null) Stats.CountAnswered();
            Produce(_answers!, _options.OutputTopic, message, Track(result, deadLetter: false), TakeSpan(group[j]));
            if (j >= recentFrom) Stats.AddRecent(partition, offset, values, predicted);
        }
    }

    /// <summary>
    /// A chain stage not sure enough: the tensor its stage hands upward goes to the next stage as RAW float32 (little-endian),
    /// with the input's key, headers and timestamp, so the next stage's latency still counts from the chain's input.
    /// </summary>
    private void Forward(int input, ReadOnlySpan<float> upward, ChainStageRole stage)
    {
        var result = _batch[input];
        var bytes = new byte[upward.Length * sizeof(float)];
        for (var i = 0; i < upward.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), upward[i]);
        var timestamp = result.Message.Timestamp;
        var message = new Message<byte[]?, byte[]?>
        {
            Key = result.Message.Key,
            Value = bytes,
            Headers = TracedHeaders(input),
            Timestamp = timestamp.Type == TimestampType.NotAvailable ? Timestamp.Default : new Timestamp(timestamp.UnixTimestampMs, TimestampType.CreateTime),
        };
        Stats.CountForwarded();
        Produce(_upper!, stage.UpperTopic!, message, Track(result, deadLetter: false), TakeSpan(input));
    }

    private void DeadLetter(int i, string error)
    {
        var result = _batch[i];
        Stats.CountError();
        _spans[i]?.SetStatus(ActivityStatusCode.Error, error);
        TracedHeaders(i);
        var n = Interlocked.Increment(ref _deadLetterLogs);
        if (n <= 10 || n % 1000 == 0)
            _logger.LogWarning("Dead letter #{Count} from {Source} to {DeadLetters}: {Error}",
                n, DeadLetters.Source(result.Topic, result.Partition.Value, result.Offset.Value), _options.DeadLetterTopic, error);
        Produce(_producer!, _options.DeadLetterTopic, DeadLetters.Create(result, error), Track(result, deadLetter: true), TakeSpan(i));
    }

    /// <summary>
    /// The input's headers, carrying the trace context of its span when it has one: its answer (a prediction, a dead
    /// letter, a chain's forward) joins the input's trace as a child of the replica's span.
    /// </summary>
    private Headers? TracedHeaders(int i)
    {
        var input = _batch[i].Message;
        if (_spans[i] is { } span) TracePropagation.Inject(input.Headers ??= new Headers(), span);
        return input.Headers;
    }

    /// <summary>Hands the span of input <paramref name="i"/> over to whoever ends it (the delivery report of its answer).</summary>
    private Activity? TakeSpan(int i)
    {
        var span = _spans[i];
        _spans[i] = null;
        return span;
    }

    private InFlight Track(ConsumeResult<byte[]?, byte[]?> result, bool deadLetter)
    {
        var partition = result.Partition.Value;
        if (!_partitions.TryGetValue(partition, out var progress))
            _partitions[partition] = progress = new PartitionProgress(partition); // assigned before the handler ran (should not happen)
        var timestamp = result.Message.Timestamp;
        return progress.Track(result.Offset.Value, timestamp.Type == TimestampType.NotAvailable ? -1 : timestamp.UnixTimestampMs, deadLetter);
    }

    /// <summary>Produces an answer; <paramref name="span"/> (the input's) ends with its delivery report.</summary>
    private void Produce(IProducer<byte[]?, byte[]?> producer, string topic, Message<byte[]?, byte[]?> message, InFlight inFlight, Activity? span)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, report =>
                {
                    OnDelivery(inFlight, report);
                    if (report.Error.IsError) span?.SetStatus(ActivityStatusCode.Error, report.Error.Reason);
                    span?.Stop();
                });
                return;
            }
            catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The producer's own thread drains the queue; wait for room.
                Thread.Sleep(1);
            }
            catch (ProduceException<byte[]?, byte[]?> e)
            {
                inFlight.Complete(delivered: false);
                span?.SetStatus(ActivityStatusCode.Error, e.Error.Reason).Stop();
                Fail(new InferenceEngineException($"An answer for {topic} could not be produced: {e.Error.Reason}", e));
                return;
            }
        }
    }

    /// <summary>On the producer's delivery thread.</summary>
    private void OnDelivery(InFlight inFlight, DeliveryReport<byte[]?, byte[]?> report)
    {
        var delivered = !report.Error.IsError;
        if (delivered)
        {
            if (inFlight.DeadLetter) Stats.CountDeadLettered();
            else Stats.CountDelivered(inFlight.CreatedUnixMs >= 0 ? NowUnixMs() - inFlight.CreatedUnixMs : null);
        }
        inFlight.Complete(delivered);
        if (!delivered)
            Fail(new InferenceEngineException(
                $"The {(inFlight.DeadLetter ? "dead letter" : "prediction")} for input offset {inFlight.Offset} could not be delivered to {report.Topic}: {report.Error.Reason}; stopping so the input is answered again after a restart."));
        _deliveries.Set();
    }

    /// <summary>Now, in milliseconds since the epoch with sub-millisecond precision.</summary>
    private static double NowUnixMs() => (DateTime.UtcNow.Ticks - UnixEpochTicks) / (double)TimeSpan.TicksPerMillisecond;
}
