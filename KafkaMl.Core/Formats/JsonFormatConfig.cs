using System.Text.Json.Nodes;

namespace KafkaMl.Core.Formats;

/// <summary>
/// The typed <c>input_config</c> of the JSON format: <c>fields</c> (the feature order of an object
/// value; absent = document order) and <c>label_field</c> (the object property holding the label;
/// absent = the label is the message key).
/// </summary>
public sealed record JsonFormatConfig(IReadOnlyList<string>? Fields = null, string? LabelField = null)
{
    public const string FieldsKey = "fields";
    public const string LabelFieldKey = "label_field";

    public static JsonFormatConfig From(InputConfig config)
    {
        var fields = config.GetNames(FieldsKey);
        if (fields is { Count: 0 }) fields = null;
        if (fields is not null)
        {
            var duplicate = fields.GroupBy(f => f, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new DataFormatException($"input_config.{FieldsKey} names '{duplicate.Key}' twice.");
        }
        var label = config.GetString(LabelFieldKey);
        if (string.IsNullOrWhiteSpace(label)) label = null;
        if (label is not null && fields?.Contains(label, StringComparer.Ordinal) == true)
            throw new DataFormatException($"input_config.{LabelFieldKey} '{label}' is also one of the {FieldsKey}; a label cannot be a feature.");
        return new JsonFormatConfig(fields, label);
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject();
        if (Fields is not null) json[FieldsKey] = new JsonArray([.. Fields.Select(f => (JsonNode?)JsonValue.Create(f))]);
        if (LabelField is not null) json[LabelFieldKey] = LabelField;
        return json;
    }
}
