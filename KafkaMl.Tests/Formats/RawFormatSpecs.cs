namespace KafkaMl.Tests.Formats;

public sealed class RawFormatSpecs
{
    [Theory]
    [MemberData(nameof(RawSamples.EveryTypeName), MemberType = typeof(RawSamples))]
    public void Every_data_type_round_trips_through_the_encoder_and_decoder(string typeName)
    {
        var type = RawDataTypes.Parse(typeName, "data_type");
        var config = InputConfig.Parse(RawSamples.Config(typeName, typeName));
        var values = RawSamples.ValuesFor(type, 12);
        var label = RawSamples.ValuesFor(type, 1);

        var message = DataFormats.CreateEncoder("RAW", config).Encode(values, label);
        var sample = DataFormats.CreateDecoder("RAW", config).Decode(message.Key, message.Value);

        Assert.Equal(values, sample.Features);
        Assert.Equal(label, sample.Label!);
        Assert.Equal([12], sample.FeatureShape.ToArray());
    }

    [Theory]
    [MemberData(nameof(RawSamples.EveryTypeName), MemberType = typeof(RawSamples))]
    public void Every_data_type_decodes_the_little_endian_bytes_numpy_writes(string typeName)
    {
        var type = RawDataTypes.Parse(typeName, "data_type");
        var values = RawSamples.ValuesFor(type, 6);
        var bytes = RawSamples.LittleEndianBytes(type, values);

        var sample = RawSamples.Decoder(typeName, "uint8").Decode([], bytes);

        Assert.Equal(values, sample.Features);
        Assert.Equal(values.Length * type.Size(), bytes.Length);
    }

    [Theory]
    [MemberData(nameof(RawSamples.EveryTypeName), MemberType = typeof(RawSamples))]
    public void Every_label_type_decodes_from_the_key(string typeName)
    {
        var type = RawDataTypes.Parse(typeName, "label_type");
        var label = RawSamples.ValuesFor(type, 3)[2..];

        var sample = RawSamples.Decoder("float32", typeName).Decode(RawSamples.LittleEndianBytes(type, label), new byte[4]);

        Assert.Equal(label, sample.Label!);
    }

    [Theory]
    [InlineData("", 24, new[] { 24 })]
    [InlineData("24", 24, new[] { 24 })]
    [InlineData("4 6", 24, new[] { 4, 6 })]
    [InlineData("2 3 4", 24, new[] { 2, 3, 4 })]
    [InlineData("1 2 3 4", 24, new[] { 1, 2, 3, 4 })]
    [InlineData("-1 3", 24, new[] { 8, 3 })]
    [InlineData("(2, 12)", 24, new[] { 2, 12 })]
    public void A_reshape_gives_the_feature_shape_and_keeps_the_values_in_order(string reshape, int count, int[] shape)
    {
        var config = InputConfig.Parse(RawSamples.Config("int16", "uint8", reshape, ""));
        var values = RawSamples.ValuesFor(RawDataType.Int16, count);

        var message = DataFormats.CreateEncoder("RAW", config).Encode(values, [1]);
        var sample = DataFormats.CreateDecoder("RAW", config).Decode(message.Key, message.Value);

        Assert.Equal(shape, sample.FeatureShape.ToArray());
        Assert.Equal(values, sample.Features);
    }

    [Fact]
    public void A_label_reshape_gives_the_label_shape()
    {
        var config = InputConfig.Parse(RawSamples.Config("float32", "float64", "", "2 2"));
        float[] label = [1, 0, 0, 1];

        var message = DataFormats.CreateEncoder("RAW", config).Encode([0.5f], label);
        var sample = DataFormats.CreateDecoder("RAW", config).Decode(message.Key, message.Value);

        Assert.Equal(label, sample.Label!);
        Assert.Equal([2, 2], sample.LabelShape.ToArray());
    }

    [Fact]
    public void A_reshape_that_does_not_match_the_byte_length_names_expected_and_actual_bytes()
    {
        var decoder = RawSamples.Decoder("float32", "uint8", "28 28");

        var error = Assert.Throws<DataFormatException>(() => decoder.Decode([1], new byte[3132]));

        Assert.Contains("data_reshape '28 28'", error.Message);
        Assert.Contains("3136 bytes", error.Message);
        Assert.Contains("has 3132 bytes", error.Message);
    }

    [Fact]
    public void A_label_that_does_not_match_its_reshape_names_the_key()
    {
        var decoder = RawSamples.Decoder("uint8", "float32", "", "2");

        var error = Assert.Throws<DataFormatException>(() => decoder.Decode(new byte[4], new byte[3]));

        Assert.Contains("label_reshape '2'", error.Message);
        Assert.Contains("8 bytes", error.Message);
        Assert.Contains("message key has 4 bytes", error.Message);
    }

    [Fact]
    public void A_value_that_is_not_a_whole_number_of_elements_is_rejected()
    {
        var decoder = RawSamples.Decoder("float64", "uint8");

        var error = Assert.Throws<DataFormatException>(() => decoder.Decode([], new byte[12]));

        Assert.Contains("12 bytes", error.Message);
        Assert.Contains("float64", error.Message);
    }

    [Theory]
    [InlineData("complex64", "uint8", "data_type 'complex64'")]
    [InlineData("uint8", "string", "label_type 'string'")]
    public void An_unknown_data_type_is_rejected_with_the_known_ones(string dataType, string labelType, string named)
    {
        var error = Assert.Throws<DataFormatException>(() => RawSamples.Decoder(dataType, labelType));

        Assert.Contains(named, error.Message);
        Assert.Contains("float32", error.Message);
    }

    [Fact]
    public void A_reshape_that_is_not_a_list_of_dimensions_is_rejected()
    {
        var error = Assert.Throws<DataFormatException>(() => RawSamples.Decoder("uint8", "uint8", "28 x"));

        Assert.Contains("data_reshape '28 x'", error.Message);
    }

    [Fact]
    public void An_mnist_sample_sent_by_kafka_mls_raw_sink_decodes()
    {
        // RawSink(data_type='uint8', label_type='uint8', data_reshape='28 28'): value = x.tobytes(), key = y.tobytes()
        var pixels = new byte[28 * 28];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i % 251);
        var decoder = RawSamples.Decoder("uint8", "uint8", "28 28", "1");

        var sample = decoder.Decode([7], pixels);

        Assert.Equal([28, 28], sample.FeatureShape.ToArray());
        Assert.Equal(250f, sample.Features[250]);
        Assert.Equal([7f], sample.Label!);
    }

    [Fact]
    public void A_message_without_a_key_has_no_label()
    {
        var sample = RawSamples.Decoder("float32", "float32").Decode([], new byte[8]);

        Assert.False(sample.HasLabel);
        Assert.Equal(2, sample.Features.Length);
    }

    [Fact]
    public void Float_means_float32_as_in_kafka_mls_tensorflow_decoder()
    {
        var sample = RawSamples.Decoder("float", "float").Decode(BitConverter.GetBytes(2.5f), BitConverter.GetBytes(1.5f));

        Assert.Equal([1.5f], sample.Features);
        Assert.Equal([2.5f], sample.Label!);
    }

    [Fact]
    public void Numpy_1_bool_type_name_is_accepted()
    {
        var sample = RawSamples.Decoder("bool_", "bool_").Decode([1], [0, 1, 2]);

        Assert.Equal([0f, 1f, 1f], sample.Features);
    }

    [Fact]
    public void Missing_types_default_to_float32()
    {
        var decoder = DataFormats.CreateDecoder("raw", """{"data_type": null}""");

        var sample = decoder.Decode([], BitConverter.GetBytes(4.25f));

        Assert.Equal([4.25f], sample.Features);
    }

    [Theory]
    [InlineData("uint8", 256f)]
    [InlineData("uint8", -1f)]
    [InlineData("int8", 0.5f)]
    [InlineData("int32", float.NaN)]
    [InlineData("bool", 2f)]
    [InlineData("half", 70000f)]
    public void The_encoder_rejects_a_value_the_type_cannot_hold(string type, float value)
    {
        var encoder = DataFormats.CreateEncoder("RAW", RawSamples.Config(type, "uint8"));

        var error = Assert.Throws<DataFormatException>(() => encoder.Encode([0, value], [1]));

        Assert.Contains("element 1", error.Message);
        Assert.Contains(type == "half" ? "float16" : type, error.Message);
    }

    [Fact]
    public void The_encoders_input_config_is_what_kafka_mls_raw_sink_sends()
    {
        var encoder = new RawEncoder(new RawFormatConfig(RawDataType.UInt8, RawDataType.UInt8, "28 28"));

        Assert.Equal("""{"data_type":"uint8","label_type":"uint8","data_reshape":"28 28","label_reshape":""}""",
            encoder.InputConfig.ToJsonString());
    }
}
