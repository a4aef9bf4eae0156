using System.Collections.Immutable;

namespace KafkaMl.Core.Formats;

/// <summary>
/// One Kafka message decoded: the features flattened to floats with the shape they have (the
/// configured reshape, or one dimension when none), and the label when the message carries one.
/// </summary>
/// <remarks>
/// A struct so decoding allocates only the arrays it returns. Shapes are shared between samples of
/// the same decoder; they are immutable.
/// </remarks>
public readonly record struct DecodedSample(
    float[] Features,
    ImmutableArray<int> FeatureShape,
    float[]? Label,
    ImmutableArray<int> LabelShape)
{
    /// <summary>True when the message carried a label (training data); inference input usually does not.</summary>
    public bool HasLabel => Label is not null;
}
