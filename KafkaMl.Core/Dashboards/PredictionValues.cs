using System.Text.Json;

namespace KafkaMl.Core.Dashboards;

/// <summary>
/// Reads a prediction as dashboards see it: a JSON object with a <c>values</c> array of numbers (Kafka-ML's whole
/// output message) and, from KafkaMl's replicas, a <c>prediction</c> (the class) beside other fields, which are
/// passed over. Anything else (not JSON, not an object, no <c>values</c> array, a value that is not a number or null)
/// is not a prediction. A forward-only reader without allocations: a dashboard reads thousands of messages a second.
/// </summary>
public static class PredictionValues
{
    private static ReadOnlySpan<byte> ValuesName => "values"u8;

    private static ReadOnlySpan<byte> PredictionName => "prediction"u8;

    /// <summary>
    /// Fills <paramref name="values"/> (cleared first; null for a non-finite output) and the class named by the message,
    /// if any; false when <paramref name="utf8"/> is not a prediction.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> utf8, List<float?> values, out int? prediction)
    {
        values.Clear();
        prediction = null;
        var sawValues = false;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(ValuesName))
                {
                    if (!ReadValues(ref reader, values)) return false;
                    sawValues = true;
                }
                else if (reader.ValueTextEquals(PredictionName))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var p)) prediction = p;
                    else reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            // The object closed and nothing follows it: a truncated or concatenated message is not a prediction.
            return sawValues && reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The class a prediction stands for: the one it names, else the index of the largest value (one value: 1 from 0.5 up, as a sigmoid's).</summary>
    public static int? ClassOf(IReadOnlyList<float?> values, int? prediction)
    {
        if (prediction is { } named) return named;
        if (values.Count == 1) return values[0] is { } p ? (p >= 0.5f ? 1 : 0) : null;
        int? best = null;
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] is { } v && (best is not { } b || v > values[b]!.Value)) best = i;
        }
        return best;
    }

    private static bool ReadValues(ref Utf8JsonReader reader, List<float?> values)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.Null) values.Add(null);
            else if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var v)) values.Add(double.IsFinite(v) ? (float)v : null);
            else return false;
        }
        return reader.TokenType == JsonTokenType.EndArray;
    }
}
