namespace KafkaMl.Tests.Formats;

public sealed class JsonFormatSpecs
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static IDataDecoder Decoder(string config = "{}") => DataFormats.CreateDecoder("JSON", config);

    [Fact]
    public void An_array_of_numbers_decodes_with_the_label_from_the_key()
    {
        var sample = Decoder().Decode(Utf8("1"), Utf8("[0.5, -2, 3e2, true]"));

        Assert.Equal([0.5f, -2f, 300f, 1f], sample.Features);
        Assert.Equal([4], sample.FeatureShape.ToArray());
        Assert.Equal([1f], sample.Label!);
    }

    [Fact]
    public void Nested_arrays_give_the_shape()
    {
        var sample = Decoder().Decode([], Utf8("[[1, 2, 3], [4, 5, 6]]"));

        Assert.Equal([2, 3], sample.FeatureShape.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], sample.Features);
        Assert.False(sample.HasLabel);
    }

    [Fact]
    public void Ragged_nested_arrays_are_rejected()
    {
        var error = Assert.Throws<DataFormatException>(() => Decoder().Decode([], Utf8("[[1, 2], [3]]")));

        Assert.Contains("ragged", error.Message);
    }

    [Fact]
    public void Named_fields_decode_in_document_order_when_no_order_is_configured()
    {
        var sample = Decoder().Decode([], Utf8("""{"gender": 1, "age": 77, "smoking": 2}"""));

        Assert.Equal([1f, 77f, 2f], sample.Features);
    }

    [Fact]
    public void Named_fields_decode_in_the_configured_order_and_other_properties_are_ignored()
    {
        var decoder = Decoder("""{"fields": ["smoking", "age", "gender"]}""");

        var sample = decoder.Decode([], Utf8("""{"id": "p-17", "gender": 1, "age": 77, "smoking": 2}"""));

        Assert.Equal([2f, 77f, 1f], sample.Features);
    }

    [Fact]
    public void The_label_comes_from_the_label_field_when_configured()
    {
        var decoder = Decoder("""{"fields": "gender,age", "label_field": "diagnosis"}""");

        var sample = decoder.Decode([], Utf8("""{"diagnosis": true, "gender": 0, "age": 60}"""));

        Assert.Equal([0f, 60f], sample.Features);
        Assert.Equal([1f], sample.Label!);
    }

    [Fact]
    public void A_label_array_in_the_key_is_the_label_vector()
    {
        var sample = Decoder().Decode(Utf8("[0, 1, 0]"), Utf8("[9]"));

        Assert.Equal([0f, 1f, 0f], sample.Label!);
    }

    [Fact]
    public void A_configured_field_missing_from_the_message_is_named()
    {
        var error = Assert.Throws<DataFormatException>(() =>
            Decoder("""{"fields": ["gender", "age"]}""").Decode([], Utf8("""{"gender": 1}""")));

        Assert.Contains("no field 'age'", error.Message);
    }

    [Theory]
    [InlineData("""[1, "two", 3]""", "element 1 is a string")]
    [InlineData("""{"gender": 1, "age": null}""", "field 'age' is null")]
    [InlineData("""{"gender": "male"}""", "field 'gender' is a string")]
    [InlineData("\"seventy\"", "the message value is a string")]
    public void A_non_numeric_value_is_a_clear_error(string json, string expected)
    {
        var error = Assert.Throws<DataFormatException>(() => Decoder().Decode([], Utf8(json)));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Malformed_json_is_a_clear_error()
    {
        var error = Assert.Throws<DataFormatException>(() => Decoder().Decode([], Utf8("[1, 2")));

        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void A_key_that_is_not_json_is_a_clear_error()
    {
        var error = Assert.Throws<DataFormatException>(() => Decoder().Decode([0x01, 0x02], Utf8("[1]")));

        Assert.Contains("message key is not JSON", error.Message);
    }

    [Fact]
    public void An_array_round_trips_exactly_through_the_encoder()
    {
        float[] features = [0.1f, -1e-7f, 123456.79f, float.Epsilon, 3f];
        var config = InputConfig.Empty;

        var message = DataFormats.CreateEncoder("JSON", config).Encode(features, [2f]);
        var sample = DataFormats.CreateDecoder("JSON", config).Decode(message.Key, message.Value);

        Assert.Equal(features, sample.Features);
        Assert.Equal([2f], sample.Label!);
        Assert.Equal("2", Encoding.UTF8.GetString(message.Key!));
    }

    [Fact]
    public void Named_fields_round_trip_with_the_label_inside_the_object()
    {
        var config = InputConfig.Parse("""{"fields": ["gender", "age", "smoking"], "label_field": "diagnosis"}""");

        var message = DataFormats.CreateEncoder("JSON", config).Encode([1f, 77f, 2f], [1f]);
        var sample = DataFormats.CreateDecoder("JSON", config).Decode(message.Key, message.Value);

        Assert.Null(message.Key);
        Assert.Equal("""{"gender":1,"age":77,"smoking":2,"diagnosis":1}""", Encoding.UTF8.GetString(message.Value));
        Assert.Equal([1f, 77f, 2f], sample.Features);
        Assert.Equal([1f], sample.Label!);
    }

    [Fact]
    public void The_encoder_rejects_values_json_cannot_carry()
    {
        var error = Assert.Throws<DataFormatException>(() => DataFormats.CreateEncoder("JSON", "{}").Encode([1f, float.NaN], []));

        Assert.Contains("element 1", error.Message);
    }
}
