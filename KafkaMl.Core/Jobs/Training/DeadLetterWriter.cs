using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Decodes the messages of a stream that may hold bad ones (an online stream, an unlabelled pool) into a sample
/// builder, setting aside each message that does not decode, or does not match the samples before it: it is counted
/// (<see cref="Count"/>), logged (the first ten, then every thousandth) and sent to <c>&lt;topic&gt;.dlq</c>
/// (<see cref="DeadLetters"/>). Such a message never stops the job. Used from one thread at a time.
/// </summary>
internal sealed class DeadLetterWriter : IDisposable
{
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(10);

    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly IProgress<string>? _log;

    public DeadLetterWriter(TrainingJobContext context, string clientId, IProgress<string>? log)
    {
        _producer = new ProducerBuilder<byte[]?, byte[]?>(KafkaClientConfig.Producer(context.BootstrapServers, clientId, settings: context.KafkaSettings))
            .SetLogHandler((_, entry) => KafkaClientConfig.Log(context.KafkaLogger, entry))
            .Build();
        _log = log;
    }

    /// <summary>Messages set aside so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds the message's sample to <paramref name="builder"/>; false when it was set aside instead.</summary>
    public bool TryAdd(SampleSet.Builder builder, IDataDecoder decoder, ConsumeResult<byte[]?, byte[]?> message)
    {
        string error;
        try
        {
            builder.Add(decoder.Decode(message.Message.Key ?? [], message.Message.Value ?? []));
            return true;
        }
        catch (DataFormatException e)
        {
            error = $"Not valid {decoder.Format} data for this stream: {e.Message}";
        }
        catch (TrainingException e)
        {
            error = $"Does not match the stream's earlier messages: {e.Message}";
        }
        Count++;
        var letter = TopicNames.DeadLetter(message.Topic);
        if (Count <= 10 || Count % 1000 == 0)
            _log?.Report($"dead letter #{Count} from {DeadLetters.Source(message.Topic, message.Partition.Value, message.Offset.Value)} to {letter}: {error}");
        _producer.Produce(letter, DeadLetters.Create(message, error));
        return false;
    }

    /// <summary>Waits until every dead letter was written (before the offsets of their messages count as done).</summary>
    public void Flush() => _producer.Flush(KafkaTimeout);

    public void Dispose()
    {
        try
        {
            _producer.Flush(KafkaTimeout);
        }
        catch (KafkaException)
        {
            // Best effort: a dead letter is a copy kept for inspection.
        }
        finally
        {
            _producer.Dispose();
        }
    }
}

/// <summary>
/// Decodes unlabelled messages the Kafka-ML way (<c>unsupervised_topic</c>): the key is a dummy (one byte <c>0</c>),
/// never a label, so only the value is decoded; a label a self-describing value (JSON) might carry is dropped too.
/// </summary>
internal sealed class UnlabelledDecoder(IDataDecoder decoder) : IDataDecoder
{
    public string Format => decoder.Format;

    public DecodedSample Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        decoder.Decode([], value) with { Label = null, LabelShape = [] };
}
