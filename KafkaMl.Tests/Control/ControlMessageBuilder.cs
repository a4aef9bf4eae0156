namespace KafkaMl.Tests.Control;

/// <summary>Builds control-message JSON the way Kafka-ML's Python sink does (<c>json.dumps(dic)</c>), with one thing changed per test.</summary>
internal sealed class ControlMessageBuilder
{
    private readonly JsonObject _json = new()
    {
        ["topic"] = "data:0:0:120,data:1:0:119",
        ["input_format"] = "RAW",
        ["input_config"] = new JsonObject
        {
            ["data_type"] = "float32",
            ["label_type"] = "uint8",
            ["data_reshape"] = "3",
            ["label_reshape"] = "",
        },
        ["description"] = "COPD dataset",
        ["validation_rate"] = 0.1,
        ["test_rate"] = 0.1,
        ["total_msg"] = 239,
    };

    public static ControlMessageBuilder KafkaMl() => new();

    public ControlMessageBuilder With(string field, JsonNode? value)
    {
        _json[field] = value;
        return this;
    }

    public ControlMessageBuilder Without(string field)
    {
        _json.Remove(field);
        return this;
    }

    public ControlMessageBuilder WithConfig(string key, JsonNode? value)
    {
        ((JsonObject)_json["input_config"]!)[key] = value;
        return this;
    }

    public string Json() => _json.ToJsonString();

    public byte[] Utf8() => System.Text.Encoding.UTF8.GetBytes(Json());
}
