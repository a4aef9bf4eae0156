using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace KafkaMl.Core.Formats;

/// <summary>
/// The one place that lists the input formats. Resolves a format name (any case) and an
/// <c>input_config</c> into a configured decoder or encoder, with errors a user can act on.
/// </summary>
public static class DataFormats
{
    /// <summary>Every known format, in the order they are documented.</summary>
    public static readonly IReadOnlyList<IDataFormat> All = [new RawFormat(), new AvroFormat(), new JsonFormat()];

    private static readonly FrozenDictionary<string, IDataFormat> ByName =
        All.ToFrozenDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The canonical names: RAW, AVRO, JSON.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(f => f.Name)];

    public static bool TryGet(string? name, out IDataFormat format)
    {
        if (name is not null && ByName.TryGetValue(name.Trim(), out var found))
        {
            format = found;
            return true;
        }
        format = null!;
        return false;
    }

    /// <summary>The format called <paramref name="name"/> (any case); throws <see cref="DataFormatException"/> listing the known ones.</summary>
    public static IDataFormat Get(string? name) =>
        TryGet(name, out var format)
            ? format
            : throw new DataFormatException(string.IsNullOrWhiteSpace(name)
                ? $"No input format was given; use one of {string.Join(", ", Names)}."
                : $"'{name}' is not a known input format; use one of {string.Join(", ", Names)}.");

    /// <summary>The canonical spelling of a format name (<c>raw</c> → <c>RAW</c>).</summary>
    public static string Normalize(string? name) => Get(name).Name;

    public static IDataDecoder CreateDecoder(string? format, InputConfig config) => Get(format).CreateDecoder(config);

    /// <summary>A decoder from a control message's or API's <c>input_config</c> (object, JSON string, or null).</summary>
    public static IDataDecoder CreateDecoder(string? format, JsonNode? inputConfig) => CreateDecoder(format, InputConfig.From(inputConfig));

    /// <summary>A decoder from <c>input_config</c> JSON text (null or blank = empty).</summary>
    public static IDataDecoder CreateDecoder(string? format, string? inputConfigJson) => CreateDecoder(format, InputConfig.Parse(inputConfigJson));

    public static IDataEncoder CreateEncoder(string? format, InputConfig config) => Get(format).CreateEncoder(config);

    public static IDataEncoder CreateEncoder(string? format, JsonNode? inputConfig) => CreateEncoder(format, InputConfig.From(inputConfig));

    public static IDataEncoder CreateEncoder(string? format, string? inputConfigJson) => CreateEncoder(format, InputConfig.Parse(inputConfigJson));
}
