using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace KafkaMl.Core.Formats;

/// <summary>
/// The typed <c>input_config</c> of the RAW format, as Kafka-ML's <c>RawSink</c> writes it:
/// <c>{"data_type": "uint8", "label_type": "uint8", "data_reshape": "28 28", "label_reshape": ""}</c>.
/// A missing or null type reads as float32 (Kafka-ML's sinks always fill it in once a sample was
/// sent); a missing reshape is flat.
/// </summary>
public sealed record RawFormatConfig(
    RawDataType DataType = RawDataType.Float32,
    RawDataType LabelType = RawDataType.Float32,
    string DataReshape = "",
    string LabelReshape = "")
{
    public const string DataTypeKey = "data_type";
    public const string LabelTypeKey = "label_type";
    public const string DataReshapeKey = "data_reshape";
    public const string LabelReshapeKey = "label_reshape";

    public static RawFormatConfig From(InputConfig config) => new(
        ParseType(config.GetString(DataTypeKey), DataTypeKey),
        ParseType(config.GetString(LabelTypeKey), LabelTypeKey),
        Reshape.Parse(config.GetString(DataReshapeKey), DataReshapeKey).Text,
        Reshape.Parse(config.GetString(LabelReshapeKey), LabelReshapeKey).Text);

    public JsonObject ToJson() => new()
    {
        [DataTypeKey] = DataType.Name(),
        [LabelTypeKey] = LabelType.Name(),
        [DataReshapeKey] = Reshape.Parse(DataReshape, DataReshapeKey).Text,
        [LabelReshapeKey] = Reshape.Parse(LabelReshape, LabelReshapeKey).Text,
    };

    private static RawDataType ParseType(string? name, string key) =>
        string.IsNullOrWhiteSpace(name) ? RawDataType.Float32 : RawDataTypes.Parse(name, key);
}

/// <summary>
/// Kafka-ML's RAW format: the message value is the data and the key the label, each the raw
/// little-endian bytes of an n-d array of <c>data_type</c> / <c>label_type</c>, reshaped by
/// <c>data_reshape</c> / <c>label_reshape</c> (numpy's <c>tobytes()</c> / <c>frombuffer</c>).
/// </summary>
public sealed class RawFormat : IDataFormat
{
    public const string FormatName = "RAW";

    public string Name => FormatName;

    public IDataDecoder CreateDecoder(InputConfig config) => new RawDecoder(RawFormatConfig.From(config));

    public IDataEncoder CreateEncoder(InputConfig config) => new RawEncoder(RawFormatConfig.From(config));
}

/// <summary>RAW decoding: one allocation per part (the float array), shapes shared.</summary>
public sealed class RawDecoder : ValueKeyDecoder
{
    private readonly RawDataType _dataType;
    private readonly RawDataType _labelType;
    private readonly Reshape _dataShape;
    private readonly Reshape _labelShape;

    public RawDecoder(RawFormatConfig config)
    {
        Config = config;
        _dataType = config.DataType;
        _labelType = config.LabelType;
        _dataShape = Reshape.Parse(config.DataReshape, RawFormatConfig.DataReshapeKey);
        _labelShape = Reshape.Parse(config.LabelReshape, RawFormatConfig.LabelReshapeKey);
    }

    public RawFormatConfig Config { get; }

    public override string Format => RawFormat.FormatName;

    protected override (float[] Values, ImmutableArray<int> Shape) DecodeValue(ReadOnlySpan<byte> value) =>
        value.IsEmpty
            ? throw new DataFormatException("RAW data: the message has no value bytes.")
            : DecodePart(value, _dataType, _dataShape, "data", "value");

    protected override (float[] Values, ImmutableArray<int> Shape) DecodeKey(ReadOnlySpan<byte> key) =>
        DecodePart(key, _labelType, _labelShape, "label", "key");

    private static (float[] Values, ImmutableArray<int> Shape) DecodePart(
        ReadOnlySpan<byte> bytes, RawDataType type, Reshape reshape, string part, string where)
    {
        var size = type.Size();
        var count = bytes.Length / size;
        if (bytes.Length % size != 0 && reshape.FixedCount is null)
            throw new DataFormatException(
                $"RAW {part}: the message {where} has {bytes.Length} bytes, not a whole number of {type.Name()} values ({size} byte{(size == 1 ? "" : "s")} each).");
        if (bytes.Length % size != 0 || reshape.Resolve(count) is not { } shape)
        {
            var expected = reshape.FixedCount is { } fixedCount ? $"{fixedCount * size} bytes" : $"a multiple of {reshape.KnownProduct * size} bytes";
            throw new DataFormatException(
                $"RAW {part}: {reshape.Key} {reshape.DescribeNeed()} of {type.Name()} ({size} byte{(size == 1 ? "" : "s")} each) needs {expected}, but the message {where} has {bytes.Length} bytes.");
        }
        var values = new float[count];
        RawCodec.Decode(type, bytes, values);
        return (values, shape);
    }
}

/// <summary>RAW encoding: one allocation per part (the byte array).</summary>
public sealed class RawEncoder : IDataEncoder
{
    private readonly Reshape _dataShape;
    private readonly Reshape _labelShape;

    public RawEncoder(RawFormatConfig config)
    {
        Config = config;
        _dataShape = Reshape.Parse(config.DataReshape, RawFormatConfig.DataReshapeKey);
        _labelShape = Reshape.Parse(config.LabelReshape, RawFormatConfig.LabelReshapeKey);
    }

    public RawFormatConfig Config { get; }

    public string Format => RawFormat.FormatName;

    public JsonObject InputConfig => Config.ToJson();

    public EncodedMessage Encode(ReadOnlySpan<float> features, ReadOnlySpan<float> label) =>
        new(label.IsEmpty ? null : EncodePart(label, Config.LabelType, _labelShape, "label"),
            EncodePart(features, Config.DataType, _dataShape, "data"));

    private static byte[] EncodePart(ReadOnlySpan<float> values, RawDataType type, Reshape reshape, string part)
    {
        if (values.IsEmpty) throw new DataFormatException($"RAW {part}: there are no values to send.");
        if (reshape.Resolve(values.Length) is null)
            throw new DataFormatException($"RAW {part}: {reshape.Key} {reshape.DescribeNeed()} does not fit {values.Length} values.");
        var bytes = new byte[values.Length * type.Size()];
        RawCodec.Encode(type, values, bytes, part);
        return bytes;
    }
}
