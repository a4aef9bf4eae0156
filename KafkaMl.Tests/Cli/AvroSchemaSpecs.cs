using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Cli;

public sealed class AvroSchemaSpecs
{
    [Fact]
    public void Send_derives_an_avro_record_of_float_fields_with_legal_unique_names_from_the_columns()
    {
        var schema = SendFormats.AvroRecordSchema("KafkaMlData", ["Age", "1st dose", "Age"]);

        var encoder = new AvroEncoder(new AvroFormatConfig(schema, null));
        var decoder = new AvroDecoder(new AvroFormatConfig(schema, null));
        Assert.Equal(["Age", "_1st_dose", "Age_2"], decoder.FeatureNames);
        var message = encoder.Encode([1f, 2f, 3f], []);
        Assert.Equal([1f, 2f, 3f], decoder.Decode([], message.Value).Features);
    }
}
