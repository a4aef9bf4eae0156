using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace KafkaMl.Core.Formats;

/// <summary>
/// A format's <c>input_config</c>: a JSON object with snake_case keys. Kafka-ML sends it as an object
/// inside the control message, its backend stores it as a JSON string, and its decoders accept a
/// Python-repr string (single quotes); all three are accepted here.
/// </summary>
public sealed partial class InputConfig
{
    private readonly JsonObject _values;

    private InputConfig(JsonObject values) => _values = values;

    /// <summary>A config with no keys (every format falls back to its defaults).</summary>
    public static InputConfig Empty => new(new JsonObject());

    /// <summary>The keys present, in document order.</summary>
    public IEnumerable<string> Keys => _values.Select(p => p.Key);

    /// <summary>
    /// Reads a config from a JSON node: an object, a string holding an object, or null/absent (empty).
    /// The node is copied, never kept.
    /// </summary>
    public static InputConfig From(JsonNode? node) => node switch
    {
        null => Empty,
        JsonObject obj => new InputConfig((JsonObject)obj.DeepClone()),
        JsonValue value when value.GetValueKind() == JsonValueKind.String => Parse(value.GetValue<string>()),
        JsonValue value when value.GetValueKind() == JsonValueKind.Null => Empty,
        _ => throw new DataFormatException($"input_config must be a JSON object (or a string holding one); got {Describe(node)}."),
    };

    /// <summary>Reads a config from JSON text; null or blank is the empty config.</summary>
    public static InputConfig Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Empty;
        var parsed = TryParseObject(text) ?? TryParseObject(FromPythonRepr(text));
        return parsed is null
            ? throw new DataFormatException($"input_config is not a JSON object: '{Abbreviate(text)}'.")
            : new InputConfig(parsed);
    }

    /// <summary>A copy of the config as a JSON object (for a control message or an API response).</summary>
    public JsonObject ToJsonObject() => (JsonObject)_values.DeepClone();

    public override string ToString() => _values.ToJsonString();

    public bool Contains(string key) => _values[key] is not null;

    /// <summary>
    /// The value of <paramref name="key"/> as text: a string as it is, a number or boolean as its JSON
    /// text; null when absent or JSON null. An object or array is an error.
    /// </summary>
    public string? GetString(string key)
    {
        var node = _values[key];
        if (node is null) return null;
        if (node is JsonValue value)
        {
            return value.GetValueKind() switch
            {
                JsonValueKind.String => value.GetValue<string>(),
                JsonValueKind.Null => null,
                _ => value.ToJsonString(),
            };
        }
        throw new DataFormatException($"input_config.{key} must be a string; got {Describe(node)}.");
    }

    /// <summary>
    /// The value of <paramref name="key"/> as JSON text: a string as it is (e.g. an Avro schema sent as
    /// a string), an object or array serialised; null when absent.
    /// </summary>
    public string? GetJsonText(string key)
    {
        var node = _values[key];
        return node switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            JsonValue value when value.GetValueKind() == JsonValueKind.Null => null,
            _ => node.ToJsonString(),
        };
    }

    /// <summary>
    /// The value of <paramref name="key"/> as a list of names: a JSON array of strings, or one string
    /// separated by commas or spaces; null when absent.
    /// </summary>
    public IReadOnlyList<string>? GetNames(string key)
    {
        var node = _values[key];
        switch (node)
        {
            case null:
                return null;
            case JsonArray array:
            {
                var names = new List<string>(array.Count);
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue item && item.GetValueKind() == JsonValueKind.String)
                        names.Add(item.GetValue<string>());
                    else
                        throw new DataFormatException($"input_config.{key}[{i}] must be a string; got {Describe(array[i])}.");
                }
                return names;
            }
            case JsonValue value when value.GetValueKind() == JsonValueKind.Null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return value.GetValue<string>().Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            default:
                throw new DataFormatException($"input_config.{key} must be a list of names; got {Describe(node)}.");
        }
    }

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => $"the string \"{Abbreviate(v.GetValue<string>())}\"",
            JsonValueKind.Number => $"the number {v.ToJsonString()}",
            JsonValueKind.True or JsonValueKind.False => $"the boolean {v.ToJsonString()}",
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };

    internal static string Abbreviate(string text) => text.Length <= 60 ? text : text[..57] + "...";

    private static JsonObject? TryParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Kafka-ML's decoders turn a Python dict repr into JSON by swapping quotes; so do we, as a fallback.</summary>
    internal static string FromPythonRepr(string text) =>
        PythonLiterals().Replace(text.Replace('\'', '"'), m => m.Value switch
        {
            "None" => "null",
            "True" => "true",
            _ => "false",
        });

    [GeneratedRegex(@"\b(None|True|False)\b")]
    private static partial Regex PythonLiterals();
}
