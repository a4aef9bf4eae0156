using System.Buffers;
using System.Text;
using System.Text.Json;

namespace KafkaMl.Core.Inference;

/// <summary>
/// A prediction as it travels on the output topic (UTF-8 JSON, DESIGN §3):
/// <c>{"values": [0.12, -0.4], "prediction": 0, "model": "hcopd", "partition": 2, "offset": 118, "modelVersion": 3}</c>.
/// <c>values</c> comes first, as Kafka-ML writes it; <c>prediction</c> is the class (argmax for classifiers,
/// null for a regression); <c>partition</c>/<c>offset</c> name the input message. A non-finite output
/// (NaN, ±∞) is written as <c>null</c>, which JSON can carry. <c>modelVersion</c> is the version of the result
/// that made the prediction (null when the replica serves files without one). A stage of an early-exit chain adds
/// <c>"exit": k</c>, the exit that answered.
/// </summary>
public sealed record PredictionMessage(IReadOnlyList<float?> Values, int? Prediction, string? Model, int Partition, long Offset)
{
    /// <summary>The model version that made the prediction (null: none known).</summary>
    public int? ModelVersion { get; init; }

    /// <summary>The exit of an early-exit chain that answered (1-based; the final stage is the last); null for a plain model.</summary>
    public int? Exit { get; init; }

    /// <summary>Parses an output message's value; throws <see cref="JsonException"/> when it is not a prediction.</summary>
    public static PredictionMessage Parse(ReadOnlySpan<byte> utf8)
    {
        using var document = JsonDocument.Parse(utf8.ToArray());
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Array)
            throw new JsonException("A prediction is a JSON object with a 'values' array.");
        var list = new List<float?>(values.GetArrayLength());
        foreach (var v in values.EnumerateArray()) list.Add(v.ValueKind == JsonValueKind.Null ? null : v.GetSingle());
        int? prediction = root.TryGetProperty("prediction", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
        var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var partition = root.TryGetProperty("partition", out var part) ? part.GetInt32() : -1;
        var offset = root.TryGetProperty("offset", out var off) ? off.GetInt64() : -1;
        int? version = root.TryGetProperty("modelVersion", out var mv) && mv.ValueKind == JsonValueKind.Number ? mv.GetInt32() : null;
        int? exit = root.TryGetProperty("exit", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : null;
        return new PredictionMessage(list, prediction, model, partition, offset) { ModelVersion = version, Exit = exit };
    }
}

/// <summary>Writes <see cref="PredictionMessage"/> JSON with one reused buffer (one array per message: the value handed to Kafka).</summary>
/// <remarks>Not thread-safe: one per producing thread.</remarks>
public sealed class PredictionWriter
{
    private static readonly JsonEncodedText ValuesName = JsonEncodedText.Encode("values");
    private static readonly JsonEncodedText PredictionName = JsonEncodedText.Encode("prediction");
    private static readonly JsonEncodedText ModelName = JsonEncodedText.Encode("model");
    private static readonly JsonEncodedText PartitionName = JsonEncodedText.Encode("partition");
    private static readonly JsonEncodedText OffsetName = JsonEncodedText.Encode("offset");
    private static readonly JsonEncodedText ModelVersionName = JsonEncodedText.Encode("modelVersion");
    private static readonly JsonEncodedText ExitName = JsonEncodedText.Encode("exit");

    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _writer;
    private readonly JsonEncodedText _model;

    public PredictionWriter(string modelName)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        _model = JsonEncodedText.Encode(modelName);
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>The JSON of one prediction, as a new array; <paramref name="exit"/> (a chain stage's answer) right after the prediction.</summary>
    public byte[] Write(ReadOnlySpan<float> values, int? prediction, int partition, long offset, int? modelVersion = null, int? exit = null)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteStartArray(ValuesName);
        foreach (var v in values)
        {
            if (float.IsFinite(v)) _writer.WriteNumberValue(v);
            else _writer.WriteNullValue();
        }
        _writer.WriteEndArray();
        if (prediction is { } p) _writer.WriteNumber(PredictionName, p);
        else _writer.WriteNull(PredictionName);
        if (exit is { } k) _writer.WriteNumber(ExitName, k);
        _writer.WriteString(ModelName, _model);
        _writer.WriteNumber(PartitionName, partition);
        _writer.WriteNumber(OffsetName, offset);
        if (modelVersion is { } version) _writer.WriteNumber(ModelVersionName, version);
        else _writer.WriteNull(ModelVersionName);
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.WrittenSpan.ToArray();
    }

    /// <summary>The JSON as text (for logs and tests).</summary>
    public string WriteString(ReadOnlySpan<float> values, int? prediction, int partition, long offset, int? modelVersion = null) =>
        Encoding.UTF8.GetString(Write(values, prediction, partition, offset, modelVersion));
}
