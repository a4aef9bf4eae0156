using System.Buffers.Binary;
using System.Text.Json;

namespace KafkaMl.Core.Dashboards;

/// <summary>
/// Reads a true label from a label topic's message: JSON (a number, an array of numbers, or an object with a
/// <c>values</c> array or a <c>label</c> number), else raw little-endian float32s (how KafkaMl's RAW format writes a
/// label). A value that is neither is not a label.
/// </summary>
public static class LabelValues
{
    public static bool TryRead(ReadOnlySpan<byte> bytes, List<float?> values)
    {
        values.Clear();
        if (TryReadJson(bytes, values)) return values.Count > 0;
        values.Clear();
        if (bytes.Length == 0 || bytes.Length % sizeof(float) != 0) return false;
        for (var i = 0; i < bytes.Length; i += sizeof(float))
        {
            var v = BinaryPrimitives.ReadSingleLittleEndian(bytes[i..]);
            values.Add(float.IsFinite(v) ? v : null);
        }
        return true;
    }

    /// <summary>The class a label stands for: its one value rounded, or the index of the largest of several (one-hot).</summary>
    public static int? ClassOf(IReadOnlyList<float?> values) =>
        values.Count == 1 ? (values[0] is { } v ? (int)MathF.Round(v) : null) : PredictionValues.ClassOf(values, null);

    private static bool TryReadJson(ReadOnlySpan<byte> bytes, List<float?> values)
    {
        if (PredictionValues.TryRead(bytes, values, out _)) return true;
        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray());
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("label", out var label)) root = label;
            if (root.ValueKind == JsonValueKind.Number)
            {
                values.Add(root.GetSingle());
                return true;
            }
            if (root.ValueKind != JsonValueKind.Array) return false;
            foreach (var item in root.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number) return false;
                values.Add(item.GetSingle());
            }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
