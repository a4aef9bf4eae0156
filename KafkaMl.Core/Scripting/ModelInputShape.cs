using System.Globalization;

namespace KafkaMl.Core.Scripting;

/// <summary>The shape of one input sample, written as Kafka-ML writes reshapes: <c>"3"</c>, <c>"1 28 28"</c>.</summary>
public static class ModelInputShape
{
    /// <summary>Most dimensions accepted.</summary>
    public const int MaxDimensions = 8;

    /// <summary>Parses space- or comma-separated positive dimensions; false with a reason otherwise.</summary>
    public static bool TryParse(string? text, out long[] shape, out string error)
    {
        shape = [];
        error = "";
        var parts = (text ?? "").Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            error = "the input shape is empty; give the dimensions of one sample, e.g. \"3\" or \"1 28 28\"";
            return false;
        }
        if (parts.Length > MaxDimensions)
        {
            error = $"the input shape has {parts.Length} dimensions; at most {MaxDimensions} are accepted";
            return false;
        }
        var dims = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out dims[i]) || dims[i] <= 0)
            {
                error = $"'{parts[i]}' in the input shape \"{text}\" is not a positive whole number";
                return false;
            }
        }
        shape = dims;
        return true;
    }

    /// <summary>Parses like <see cref="TryParse"/>; throws <see cref="FormatException"/> with the reason.</summary>
    public static long[] Parse(string text) =>
        TryParse(text, out var shape, out var error) ? shape : throw new FormatException(error);

    /// <summary><c>"1 28 28"</c>.</summary>
    public static string Format(IEnumerable<long> shape) =>
        string.Join(' ', shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
}
