using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace KafkaMl.Core.Formats;

/// <summary>
/// The typed <c>input_config</c> of the AVRO format, as Kafka-ML's <c>AvroSink</c> writes it:
/// <c>{"data_scheme": "&lt;schema JSON text&gt;", "label_scheme": "&lt;schema JSON text&gt;"}</c>.
/// A schema given as a JSON object, or as a Python-repr string (single quotes), is accepted too.
/// The label schema is optional (inference input has no label).
/// </summary>
public sealed record AvroFormatConfig(string DataScheme, string? LabelScheme = null)
{
    public const string DataSchemeKey = "data_scheme";
    public const string LabelSchemeKey = "label_scheme";

    public static AvroFormatConfig From(InputConfig config)
    {
        var data = config.GetJsonText(DataSchemeKey);
        if (string.IsNullOrWhiteSpace(data))
            throw new DataFormatException($"AVRO needs input_config.{DataSchemeKey}: the Avro schema of the message values, as JSON text.");
        var label = config.GetJsonText(LabelSchemeKey);
        return new AvroFormatConfig(data, string.IsNullOrWhiteSpace(label) ? null : label);
    }

    /// <summary>Reads both schemas from <c>.avsc</c> files, as Kafka-ML's AvroSink does.</summary>
    public static AvroFormatConfig FromFiles(string dataSchemePath, string? labelSchemePath) =>
        new(File.ReadAllText(dataSchemePath), labelSchemePath is null ? null : File.ReadAllText(labelSchemePath));

    public JsonObject ToJson()
    {
        var json = new JsonObject { [DataSchemeKey] = DataScheme };
        if (LabelScheme is not null) json[LabelSchemeKey] = LabelScheme;
        return json;
    }
}

/// <summary>
/// Kafka-ML's AVRO format: the message value is the Avro binary encoding of a datum of
/// <c>data_scheme</c>, the key one of <c>label_scheme</c> — bare datums, no container file header,
/// no schema-registry magic byte. Fields are flattened in schema order (see <see cref="AvroLayout"/>).
/// </summary>
public sealed class AvroFormat : IDataFormat
{
    public const string FormatName = "AVRO";

    public string Name => FormatName;

    public IDataDecoder CreateDecoder(InputConfig config) => new AvroDecoder(AvroFormatConfig.From(config));

    public IDataEncoder CreateEncoder(InputConfig config) => new AvroEncoder(AvroFormatConfig.From(config));
}

/// <summary>AVRO decoding: each part read straight off the message bytes by its schema's <see cref="AvroLayout"/>.</summary>
public sealed class AvroDecoder : ValueKeyDecoder
{
    private readonly AvroLayout _data;
    private readonly AvroLayout? _label;
    private readonly ImmutableArray<int> _dataShape;
    private readonly ImmutableArray<int> _labelShape;

    public AvroDecoder(AvroFormatConfig config)
    {
        Config = config;
        _data = AvroLayout.Parse(config.DataScheme, AvroFormatConfig.DataSchemeKey);
        _label = config.LabelScheme is null ? null : AvroLayout.Parse(config.LabelScheme, AvroFormatConfig.LabelSchemeKey);
        _dataShape = _data.FixedCount is { } d ? [d] : default;
        _labelShape = _label?.FixedCount is { } l ? [l] : default;
    }

    public AvroFormatConfig Config { get; }

    public override string Format => AvroFormat.FormatName;

    /// <summary>The feature names in schema order (the flattened vector's meaning).</summary>
    public IReadOnlyList<string> FeatureNames => _data.FieldNames;

    protected override bool DecodesLabels => _label is not null;

    protected override (float[] Values, ImmutableArray<int> Shape) DecodeValue(ReadOnlySpan<byte> value)
    {
        var features = _data.Decode(value, "data", "value");
        return (features, _dataShape.IsDefault ? [features.Length] : _dataShape);
    }

    protected override (float[] Values, ImmutableArray<int> Shape) DecodeKey(ReadOnlySpan<byte> key)
    {
        var label = _label!.Decode(key, "label", "key");
        return (label, _labelShape.IsDefault ? [label.Length] : _labelShape);
    }
}

public sealed class AvroEncoder : IDataEncoder
{
    private readonly AvroLayout _data;
    private readonly AvroLayout? _label;

    public AvroEncoder(AvroFormatConfig config)
    {
        Config = config;
        _data = AvroLayout.Parse(config.DataScheme, AvroFormatConfig.DataSchemeKey);
        _label = config.LabelScheme is null ? null : AvroLayout.Parse(config.LabelScheme, AvroFormatConfig.LabelSchemeKey);
        _dataProblem = _data.EncodeProblem();
        _labelProblem = _label?.EncodeProblem();
    }

    private readonly string? _dataProblem;
    private readonly string? _labelProblem;

    public AvroFormatConfig Config { get; }

    public string Format => AvroFormat.FormatName;

    public JsonObject InputConfig => Config.ToJson();

    /// <summary>The parsed data schema (for callers that build Apache.Avro records themselves).</summary>
    public Avro.Schema DataSchema => _data.Schema;

    /// <summary>The parsed label schema, when there is one.</summary>
    public Avro.Schema? LabelSchema => _label?.Schema;

    public EncodedMessage Encode(ReadOnlySpan<float> features, ReadOnlySpan<float> label)
    {
        byte[]? key = null;
        if (!label.IsEmpty)
        {
            if (_label is null) throw new DataFormatException($"AVRO label: a label was given but input_config has no {AvroFormatConfig.LabelSchemeKey}.");
            if (_labelProblem is not null) throw new DataFormatException(_labelProblem);
            key = _label.Encode(label, "label");
        }
        if (_dataProblem is not null) throw new DataFormatException(_dataProblem);
        return new EncodedMessage(key, _data.Encode(features, "data"));
    }
}
