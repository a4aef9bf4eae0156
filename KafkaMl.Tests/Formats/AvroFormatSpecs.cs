using Avro.Generic;

namespace KafkaMl.Tests.Formats;

public sealed class AvroFormatSpecs
{
    private static IDataDecoder Decoder(string dataScheme, string? labelScheme = null) =>
        DataFormats.CreateDecoder("AVRO", Config(dataScheme, labelScheme));

    private static IDataEncoder Encoder(string dataScheme, string? labelScheme = null) =>
        DataFormats.CreateEncoder("AVRO", Config(dataScheme, labelScheme));

    private static JsonObject Config(string dataScheme, string? labelScheme) =>
        new AvroFormatConfig(dataScheme, labelScheme).ToJson();

    [Fact]
    public void A_record_of_float_double_int_long_and_boolean_fields_decodes_in_schema_order()
    {
        var value = AvroRecords.Write(AvroRecords.Record(AvroRecords.MixedScheme,
            ("f", 1.5f), ("d", -2.25), ("i", -300), ("l", 1_234_567L), ("b", true)));

        var sample = Decoder(AvroRecords.MixedScheme).Decode([], value);

        Assert.Equal([1.5f, -2.25f, -300f, 1_234_567f, 1f], sample.Features);
        Assert.Equal([5], sample.FeatureShape.ToArray());
    }

    [Fact]
    public void Values_encoded_from_floats_are_read_back_by_apache_avro()
    {
        var message = Encoder(AvroRecords.MixedScheme).Encode([0.5f, 3.75f, -64f, -5_000_000_000f, 0f], []);

        var record = AvroRecords.Read(AvroRecords.MixedScheme, message.Value);

        Assert.Equal(0.5f, record["f"]);
        Assert.Equal(3.75, record["d"]);
        Assert.Equal(-64, record["i"]);
        Assert.Equal(-5_000_000_000L, record["l"]);
        Assert.Equal(false, record["b"]);
        Assert.Null(message.Key);
    }

    [Fact]
    public void The_hcopd_schemas_round_trip_a_sample_and_its_diagnosis()
    {
        var dataScheme = File.ReadAllText(AvroRecords.SharedDataPath("data_scheme.avsc"));
        var labelScheme = File.ReadAllText(AvroRecords.SharedDataPath("label_scheme.avsc"));

        var message = Encoder(dataScheme, labelScheme).Encode([1f, 77f, 2f], [1f]);
        var sample = Decoder(dataScheme, labelScheme).Decode(message.Key, message.Value);

        Assert.Equal([1f, 77f, 2f], sample.Features);
        Assert.Equal([1f], sample.Label!);
        Assert.Equal(true, AvroRecords.Read(labelScheme, message.Key!)["diagnosis"]);
    }

    [Fact]
    public void A_sample_written_as_kafka_mls_avro_sink_writes_it_decodes()
    {
        // AvroSink.send_avro({"gender": ..., "age": ..., "smoking": ...}, {"diagnosis": bool(...)})
        var value = AvroRecords.Write(AvroRecords.Record(AvroRecords.HcopdDataScheme, ("gender", 1f), ("age", 72f), ("smoking", 2f)));
        var key = AvroRecords.Write(AvroRecords.Record(AvroRecords.HcopdLabelScheme, ("diagnosis", false)));

        var sample = Decoder(AvroRecords.HcopdDataScheme, AvroRecords.HcopdLabelScheme).Decode(key, value);

        Assert.Equal([1f, 72f, 2f], sample.Features);
        Assert.Equal([0f], sample.Label!);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(63L)]
    [InlineData(-64L)]
    [InlineData(8_388_607L)]
    [InlineData(-8_388_608L)]
    public void Zig_zag_integers_match_apache_avro_in_both_directions(long value)
    {
        const string scheme = """{"type": "record", "name": "N", "fields": [{"name": "i", "type": "int"}, {"name": "l", "type": "long"}]}""";
        var written = AvroRecords.Write(AvroRecords.Record(scheme, ("i", (int)value), ("l", value)));

        var encoded = Encoder(scheme).Encode([value, value], []).Value;
        var decoded = Decoder(scheme).Decode([], written);

        Assert.Equal(written, encoded);
        Assert.Equal([(float)value, value], decoded.Features);
    }

    [Fact]
    public void Nested_records_arrays_enums_and_nullable_fields_flatten_in_schema_order()
    {
        const string scheme = """
            {"type": "record", "name": "Reading", "fields": [
                {"name": "where", "type": {"type": "record", "name": "Where", "fields": [
                    {"name": "x", "type": "double"}, {"name": "y", "type": "double"}]}},
                {"name": "level", "type": {"type": "enum", "name": "Level", "symbols": ["LOW", "MID", "HIGH"]}},
                {"name": "spectrum", "type": {"type": "array", "items": "float"}},
                {"name": "humidity", "type": ["null", "float"]},
                {"name": "pressure", "type": ["float", "null"]}
            ]}
            """;
        var parsed = (Avro.RecordSchema)Avro.Schema.Parse(scheme);
        var where = new GenericRecord((Avro.RecordSchema)parsed["where"].Schema);
        where.Add("x", 1.0);
        where.Add("y", 2.0);
        var record = new GenericRecord(parsed);
        record.Add("where", where);
        record.Add("level", new GenericEnum((Avro.EnumSchema)parsed["level"].Schema, "HIGH"));
        record.Add("spectrum", new object[] { 0.25f, 0.5f, 0.75f });
        record.Add("humidity", null);
        record.Add("pressure", 1013f);

        var written = AvroRecords.Write(record);
        var sample = Decoder(scheme).Decode([], written);

        Assert.Equal(8, sample.Features.Length);
        Assert.Equal([1f, 2f, 2f, 0.25f, 0.5f, 0.75f], sample.Features[..6]);
        Assert.True(float.IsNaN(sample.Features[6]));
        Assert.Equal(1013f, sample.Features[7]);
        Assert.Equal(written, Encoder(scheme).Encode(sample.Features, []).Value);
    }

    [Fact]
    public void A_truncated_payload_is_a_clear_error()
    {
        var value = AvroRecords.Write(AvroRecords.Record(AvroRecords.HcopdDataScheme, ("gender", 1f), ("age", 72f), ("smoking", 2f)));

        var error = Assert.Throws<DataFormatException>(() => Decoder(AvroRecords.HcopdDataScheme).Decode([], value[..10]));

        Assert.Contains("ends in the middle of field 'smoking'", error.Message);
        Assert.Contains("data_scheme", error.Message);
    }

    [Fact]
    public void Bytes_left_over_after_the_record_are_a_clear_error()
    {
        var value = AvroRecords.Write(AvroRecords.Record(AvroRecords.HcopdDataScheme, ("gender", 1f), ("age", 72f), ("smoking", 2f)));

        var error = Assert.Throws<DataFormatException>(() => Decoder(AvroRecords.HcopdDataScheme).Decode([], [.. value, 0, 0]));

        Assert.Contains("2 bytes are left over", error.Message);
    }

    [Fact]
    public void A_boolean_byte_other_than_0_or_1_is_malformed()
    {
        var error = Assert.Throws<DataFormatException>(() =>
            Decoder(AvroRecords.HcopdDataScheme, AvroRecords.HcopdLabelScheme).Decode([7], new byte[12]));

        Assert.Contains("field 'diagnosis' of label_scheme", error.Message);
        Assert.Contains("malformed", error.Message);
    }

    [Fact]
    public void A_schema_that_is_not_avro_is_rejected_naming_the_key()
    {
        var error = Assert.Throws<DataFormatException>(() => Decoder("""{"type": "recrod"}"""));

        Assert.Contains("input_config.data_scheme is not a valid Avro schema", error.Message);
    }

    [Fact]
    public void A_field_without_a_numeric_reading_is_rejected_when_the_schema_is_read()
    {
        const string scheme = """{"type": "record", "name": "R", "fields": [{"name": "city", "type": "string"}]}""";

        var error = Assert.Throws<DataFormatException>(() => Decoder(scheme));

        Assert.Contains("field 'city' has the Avro type string", error.Message);
    }

    [Fact]
    public void A_missing_data_scheme_is_rejected()
    {
        var error = Assert.Throws<DataFormatException>(() => DataFormats.CreateDecoder("AVRO", "{}"));

        Assert.Contains("data_scheme", error.Message);
    }

    [Fact]
    public void A_schema_given_as_an_object_or_as_a_python_repr_string_is_accepted()
    {
        var asObject = new JsonObject { ["data_scheme"] = JsonNode.Parse(AvroRecords.HcopdDataScheme) };
        var asRepr = new JsonObject { ["data_scheme"] = AvroRecords.HcopdDataScheme.Replace('"', '\'') };
        var value = new byte[12];

        Assert.Equal(3, DataFormats.CreateDecoder("AVRO", asObject).Decode([], value).Features.Length);
        Assert.Equal(3, DataFormats.CreateDecoder("AVRO", asRepr).Decode([], value).Features.Length);
    }

    [Fact]
    public void The_encoder_rejects_the_wrong_number_of_values_naming_the_fields()
    {
        var error = Assert.Throws<DataFormatException>(() => Encoder(AvroRecords.HcopdDataScheme).Encode([1, 2], []));

        Assert.Contains("gender, age, smoking", error.Message);
        Assert.Contains("2 values", error.Message);
    }

    [Fact]
    public void The_encoders_input_config_carries_both_schemas_as_strings_as_kafka_mls_avro_sink_does()
    {
        var config = Encoder(AvroRecords.HcopdDataScheme, AvroRecords.HcopdLabelScheme).InputConfig;

        Assert.Equal(AvroRecords.HcopdDataScheme, config["data_scheme"]!.GetValue<string>());
        Assert.Equal(AvroRecords.HcopdLabelScheme, config["label_scheme"]!.GetValue<string>());
    }
}
