using KafkaMl.Core.Formats;

namespace KafkaMl.Core.Sinks;

/// <summary>
/// Kafka-ML's <c>RawSink</c> in .NET: each sample's features become the raw little-endian bytes of
/// <see cref="RawFormatConfig.DataType"/> (the message value), its label those of
/// <see cref="RawFormatConfig.LabelType"/> (the key). Defaults: float32 data and labels, flat.
/// </summary>
public sealed class RawSink(KafkaSinkOptions options, RawFormatConfig? format = null)
    : KafkaSink(options, new RawEncoder(format ?? new RawFormatConfig()))
{
    public RawFormatConfig Format => ((RawEncoder)Encoder).Config;
}
