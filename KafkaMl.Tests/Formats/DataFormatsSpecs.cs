namespace KafkaMl.Tests.Formats;

public sealed class DataFormatsSpecs
{
    [Theory]
    [InlineData("RAW", "RAW")]
    [InlineData("raw", "RAW")]
    [InlineData("Avro", "AVRO")]
    [InlineData(" json ", "JSON")]
    public void Format_names_are_accepted_in_any_case(string name, string canonical)
    {
        Assert.Equal(canonical, DataFormats.Get(name).Name);
    }

    [Fact]
    public void An_unknown_format_is_rejected_with_the_known_ones()
    {
        var error = Assert.Throws<DataFormatException>(() => DataFormats.CreateDecoder("PROTOBUF", "{}"));

        Assert.Contains("'PROTOBUF' is not a known input format", error.Message);
        Assert.Contains("RAW, AVRO, JSON", error.Message);
    }

    [Fact]
    public void Input_config_is_accepted_as_an_object_as_a_json_string_and_as_a_python_repr()
    {
        var asObject = new JsonObject { ["data_type"] = "uint8" };
        JsonNode asString = JsonValue.Create("""{"data_type": "uint8"}""");
        JsonNode asRepr = JsonValue.Create("{'data_type': 'uint8', 'data_reshape': None}");

        foreach (var config in new[] { asObject, asString, asRepr })
            Assert.Equal([200f], DataFormats.CreateDecoder("RAW", config).Decode([], [200]).Features);
    }

    [Fact]
    public void Input_config_that_is_not_an_object_is_rejected()
    {
        var error = Assert.Throws<DataFormatException>(() => DataFormats.CreateDecoder("RAW", new JsonArray()));

        Assert.Contains("input_config must be a JSON object", error.Message);
    }

    [Fact]
    public void Every_format_builds_a_decoder_and_an_encoder_from_its_encoders_own_config()
    {
        var configs = new Dictionary<string, JsonObject>
        {
            ["RAW"] = new RawFormatConfig().ToJson(),
            ["AVRO"] = new AvroFormatConfig(AvroRecords.HcopdDataScheme, AvroRecords.HcopdLabelScheme).ToJson(),
            ["JSON"] = new JsonFormatConfig().ToJson(),
        };

        foreach (var format in DataFormats.All)
        {
            var encoder = format.CreateEncoder(InputConfig.From(configs[format.Name]));
            var message = encoder.Encode([1f, 2f, 3f], [1f]);
            var sample = DataFormats.CreateDecoder(format.Name, encoder.InputConfig).Decode(message.Key, message.Value);
            Assert.Equal([1f, 2f, 3f], sample.Features);
            Assert.Equal([1f], sample.Label!);
        }
    }
}
