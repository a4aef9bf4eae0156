using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace KafkaMl.Core.Formats;

/// <summary>
/// JSON messages: the value is an array of numbers (nested arrays give the shape, e.g.
/// <c>[[1,2],[3,4]]</c> is 2×2) or an object of named numbers (or arrays of numbers); booleans read
/// as 0/1. The label is the <c>label_field</c> property when configured and present, otherwise the
/// message key as JSON (a number or an array of numbers).
/// </summary>
public sealed class JsonFormat : IDataFormat
{
    public const string FormatName = "JSON";

    public string Name => FormatName;

    public IDataDecoder CreateDecoder(InputConfig config) => new JsonDecoder(JsonFormatConfig.From(config));

    public IDataEncoder CreateEncoder(InputConfig config) => new JsonEncoder(JsonFormatConfig.From(config));
}

public sealed class JsonDecoder : IDataDecoder
{
    private const int MaxRank = 16;
    private const int StackNameLength = 128;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _fieldIndex;
    private readonly string[]? _fields;
    private readonly byte[]? _labelField;
    private readonly Reshape _flat = Reshape.Flat("data");
    private readonly Reshape _flatLabel = Reshape.Flat("label");

    public JsonDecoder(JsonFormatConfig config)
    {
        Config = config;
        _fields = config.Fields?.ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < (_fields?.Length ?? 0); i++) index[_fields![i]] = i;
        _fieldIndex = index.GetAlternateLookup<ReadOnlySpan<char>>();
        _labelField = config.LabelField is null ? null : Encoding.UTF8.GetBytes(config.LabelField);
    }

    public JsonFormatConfig Config { get; }

    public string Format => JsonFormat.FormatName;

    public DecodedSample Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        float[]? label = null;
        ImmutableArray<int> featureShape;
        float[] features;
        var reader = new Utf8JsonReader(value);
        var output = new FloatBuffer(16);
        try
        {
            if (!reader.Read()) throw new DataFormatException("JSON data: the message value is empty.");
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    featureShape = ReadArray(ref reader, ref output, "data");
                    break;
                case JsonTokenType.StartObject:
                    label = ReadObject(ref reader, ref output);
                    featureShape = _flat.Resolve(output.Count)!.Value;
                    break;
                case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False:
                    output.Add(Scalar(ref reader, "data", null, -1));
                    featureShape = _flat.Resolve(1)!.Value;
                    break;
                default:
                    throw new DataFormatException($"JSON data: the message value is {Describe(reader.TokenType)}; expected an array of numbers or an object of named numbers.");
            }
            if (reader.Read()) throw new DataFormatException("JSON data: the message value has more than one JSON document.");
            if (output.Count == 0) throw new DataFormatException("JSON data: the message value holds no numbers.");
            features = output.ToArray();
        }
        catch (JsonException e)
        {
            throw new DataFormatException($"JSON data: the message value is not valid JSON ({e.Message}).", e);
        }
        finally
        {
            output.Dispose();
        }

        if (label is null && !key.IsEmpty) label = ReadKey(key);
        return label is null
            ? new DecodedSample(features, featureShape, null, [])
            : new DecodedSample(features, featureShape, label, _flatLabel.Resolve(label.Length)!.Value);
    }

    /// <summary>Reads an array (the reader is on its StartArray) into <paramref name="output"/>; returns its shape.</summary>
    private ImmutableArray<int> ReadArray(ref Utf8JsonReader reader, ref FloatBuffer output, string part)
    {
        Span<int> dims = stackalloc int[MaxRank];
        Span<int> counts = stackalloc int[MaxRank];
        dims.Fill(-1);
        var rank = -1;
        var depth = 0;
        counts[0] = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    if (depth + 1 >= MaxRank) throw new DataFormatException($"JSON {part}: arrays are nested more than {MaxRank} deep.");
                    if (rank != -1 && depth + 1 >= rank) throw Ragged(part);
                    counts[depth]++;
                    counts[++depth] = 0;
                    break;
                case JsonTokenType.EndArray:
                    if (rank == -1) rank = depth + 1;
                    if (dims[depth] == -1) dims[depth] = counts[depth];
                    else if (dims[depth] != counts[depth]) throw Ragged(part);
                    if (depth == 0)
                        return rank == 1 ? _flat.Resolve(output.Count)!.Value : [.. dims[..rank]];
                    depth--;
                    break;
                default:
                    if (rank == -1) rank = depth + 1;
                    else if (depth + 1 != rank) throw Ragged(part);
                    counts[depth]++;
                    output.Add(Scalar(ref reader, part, null, output.Count));
                    break;
            }
        }
        throw new DataFormatException($"JSON {part}: the array is not closed.");
    }

    /// <summary>Reads an object (the reader is on its StartObject) into <paramref name="output"/>; returns the label when the object carries it.</summary>
    private float[]? ReadObject(ref Utf8JsonReader reader, ref FloatBuffer output)
    {
        float[]? label = null;
        if (_fields is null)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (_labelField is not null && reader.ValueTextEquals(_labelField))
                {
                    reader.Read();
                    label = ReadLabelValue(ref reader);
                    continue;
                }
                var name = reader.GetString()!;
                reader.Read();
                ReadFieldValue(ref reader, ref output, name);
            }
            return label;
        }

        // Configured order: values land in document order in a scratch buffer, each field remembers its
        // segment, then the segments are copied out in the configured order.
        var fieldCount = _fields.Length;
        var segments = ArrayPool<int>.Shared.Rent(fieldCount * 2);
        var scratch = new FloatBuffer(16);
        try
        {
            segments.AsSpan(0, fieldCount * 2).Fill(-1);
            Span<char> nameBuffer = stackalloc char[StackNameLength];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (_labelField is not null && reader.ValueTextEquals(_labelField))
                {
                    reader.Read();
                    label = ReadLabelValue(ref reader);
                    continue;
                }
                var index = LookUp(ref reader, nameBuffer);
                reader.Read();
                if (index < 0)
                {
                    reader.Skip(); // a property that is not a feature (an id, a timestamp): ignored
                    continue;
                }
                var start = scratch.Count;
                ReadFieldValue(ref reader, ref scratch, _fields[index]);
                segments[index * 2] = start;
                segments[index * 2 + 1] = scratch.Count - start;
            }
            var all = scratch.Written;
            for (var i = 0; i < fieldCount; i++)
            {
                var start = segments[i * 2];
                if (start < 0)
                    throw new DataFormatException($"JSON data: the message value has no field '{_fields[i]}' (input_config.fields: {string.Join(", ", _fields)}).");
                foreach (var v in all.Slice(start, segments[i * 2 + 1])) output.Add(v);
            }
            return label;
        }
        finally
        {
            scratch.Dispose();
            ArrayPool<int>.Shared.Return(segments);
        }
    }

    private int LookUp(ref Utf8JsonReader reader, scoped Span<char> nameBuffer)
    {
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length <= nameBuffer.Length)
        {
            var written = reader.CopyString(nameBuffer);
            return _fieldIndex.TryGetValue(nameBuffer[..written], out var i) ? i : -1;
        }
        return _fieldIndex.TryGetValue(reader.GetString()!, out var j) ? j : -1;
    }

    private static void ReadFieldValue(ref Utf8JsonReader reader, ref FloatBuffer output, string name)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            var depth = reader.CurrentDepth;
            while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
            {
                if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.EndArray) continue;
                output.Add(Scalar(ref reader, "data", name, -1));
            }
            return;
        }
        output.Add(Scalar(ref reader, "data", name, -1));
    }

    private float[] ReadLabelValue(ref Utf8JsonReader reader)
    {
        var label = new FloatBuffer(4);
        try
        {
            ReadFieldValue(ref reader, ref label, Config.LabelField!);
            return label.ToArray();
        }
        finally
        {
            label.Dispose();
        }
    }

    private float[] ReadKey(ReadOnlySpan<byte> key)
    {
        var reader = new Utf8JsonReader(key);
        var label = new FloatBuffer(4);
        try
        {
            if (!reader.Read()) throw new DataFormatException("JSON label: the message key is empty.");
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    ReadArray(ref reader, ref label, "label");
                    break;
                case JsonTokenType.StartObject when _labelField is not null:
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var match = reader.ValueTextEquals(_labelField);
                        reader.Read();
                        if (match) ReadFieldValue(ref reader, ref label, Config.LabelField!);
                        else reader.Skip();
                    }
                    break;
                default:
                    label.Add(Scalar(ref reader, "label", null, -2));
                    break;
            }
            if (reader.Read()) throw new DataFormatException("JSON label: the message key has more than one JSON document.");
            return label.ToArray();
        }
        catch (JsonException e)
        {
            throw new DataFormatException($"JSON label: the message key is not JSON ({e.Message}); expected a number or an array of numbers.", e);
        }
        finally
        {
            label.Dispose();
        }
    }

    /// <summary>A number or boolean; the error names the <paramref name="field"/>, or element <paramref name="index"/> (-1: the whole value, -2: the key).</summary>
    private static float Scalar(ref Utf8JsonReader reader, string part, string? field, int index) => reader.TokenType switch
    {
        JsonTokenType.Number => reader.TryGetSingle(out var f) ? f : throw new DataFormatException($"JSON {part}: {What(field, index)} is not a float number."),
        JsonTokenType.True => 1f,
        JsonTokenType.False => 0f,
        var other => throw new DataFormatException($"JSON {part}: {What(field, index)} is {Describe(other)}, not a number."),
    };

    private static string What(string? field, int index) => (field, index) switch
    {
        ({ } name, _) => $"field '{name}'",
        (_, -1) => "the message value",
        (_, -2) => "the message key",
        _ => $"element {index}",
    };

    private static DataFormatException Ragged(string part) =>
        new($"JSON {part}: the nested arrays are ragged (rows of different lengths, or numbers mixed with arrays); they have no shape.");

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => token.ToString(),
    };
}
