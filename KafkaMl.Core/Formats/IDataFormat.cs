using System.Text.Json.Nodes;

namespace KafkaMl.Core.Formats;

/// <summary>
/// An input format (RAW, AVRO, JSON, ...): turns an <c>input_config</c> into a configured decoder
/// (platform side) and encoder (client side). Adding a format means implementing this interface and
/// listing it in <see cref="DataFormats"/>; nothing else names formats.
/// </summary>
public interface IDataFormat
{
    /// <summary>The canonical, upper-case name carried in control messages (<c>input_format</c>).</summary>
    string Name { get; }

    /// <summary>Builds a decoder; throws <see cref="DataFormatException"/> when the config is unusable.</summary>
    IDataDecoder CreateDecoder(InputConfig config);

    /// <summary>Builds an encoder; throws <see cref="DataFormatException"/> when the config is unusable.</summary>
    IDataEncoder CreateEncoder(InputConfig config);
}

/// <summary>Decodes Kafka messages of one configured format. Implementations are immutable and thread-safe.</summary>
public interface IDataDecoder
{
    /// <summary>The format's canonical name.</summary>
    string Format { get; }

    /// <summary>
    /// Decodes one message: <paramref name="value"/> carries the features, <paramref name="key"/> the
    /// label (empty when the message has none). Throws <see cref="DataFormatException"/> for a message
    /// that does not fit the configuration.
    /// </summary>
    DecodedSample Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}

/// <summary>Encodes samples into Kafka messages of one configured format. Implementations are immutable and thread-safe.</summary>
public interface IDataEncoder
{
    /// <summary>The format's canonical name.</summary>
    string Format { get; }

    /// <summary>The <c>input_config</c> a decoder needs to read what this encoder writes (a fresh copy each call).</summary>
    JsonObject InputConfig { get; }

    /// <summary>
    /// Encodes one sample. <paramref name="label"/> may be empty (unlabelled inference input). Throws
    /// <see cref="DataFormatException"/> when the sample does not fit the configuration.
    /// </summary>
    EncodedMessage Encode(ReadOnlySpan<float> features, ReadOnlySpan<float> label);
}

/// <summary>A Kafka message's bytes: the key (null for none) and the value.</summary>
public readonly record struct EncodedMessage(byte[]? Key, byte[] Value);
