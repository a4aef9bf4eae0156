using System.Collections.Immutable;

namespace KafkaMl.Core.Formats;

/// <summary>
/// What the RAW and AVRO decoders share (Kafka-ML's layout): the message value holds the features and the
/// key the label, each decoded on its own into values and their shape. A message without a key, or a
/// format configured without a label, gives an unlabelled sample.
/// </summary>
public abstract class ValueKeyDecoder : IDataDecoder
{
    public abstract string Format { get; }

    public DecodedSample Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var (features, featureShape) = DecodeValue(value);
        if (!DecodesLabels || key.IsEmpty) return new DecodedSample(features, featureShape, null, []);
        var (label, labelShape) = DecodeKey(key);
        return new DecodedSample(features, featureShape, label, labelShape);
    }

    /// <summary>False when the configuration has no label part: keys are then ignored.</summary>
    protected virtual bool DecodesLabels => true;

    /// <summary>The features from the message value; throws <see cref="DataFormatException"/> when it does not fit.</summary>
    protected abstract (float[] Values, ImmutableArray<int> Shape) DecodeValue(ReadOnlySpan<byte> value);

    /// <summary>The label from a non-empty message key; throws <see cref="DataFormatException"/> when it does not fit.</summary>
    protected abstract (float[] Values, ImmutableArray<int> Shape) DecodeKey(ReadOnlySpan<byte> key);
}
