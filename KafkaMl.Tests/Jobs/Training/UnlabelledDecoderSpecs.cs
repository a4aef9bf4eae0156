using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>Unlabelled messages decoded the Kafka-ML way: the dummy key is never a label, nor is a label a JSON value carries.</summary>
public sealed class UnlabelledDecoderSpecs
{
    [Fact]
    public void A_raw_message_with_the_dummy_key_decodes_to_its_features_without_a_label()
    {
        var encoder = DataFormats.CreateEncoder(RawFormat.FormatName, InputConfig.Empty);
        var decoder = new UnlabelledDecoder(DataFormats.CreateDecoder(RawFormat.FormatName, InputConfig.From(encoder.InputConfig)));

        var sample = decoder.Decode(SemiSupervisedData.DummyKey, encoder.Encode([1.5f, -2f], []).Value); // one byte: no float32 label either

        Assert.Equal([1.5f, -2f], sample.Features);
        Assert.False(sample.HasLabel);
        Assert.Equal(RawFormat.FormatName, decoder.Format);
    }

    [Fact]
    public void A_json_value_carrying_its_label_field_decodes_without_the_label()
    {
        var decoder = new UnlabelledDecoder(DataFormats.CreateDecoder("JSON", """{"fields": "gender,age", "label_field": "diagnosis"}"""));

        var sample = decoder.Decode(SemiSupervisedData.DummyKey, Encoding.UTF8.GetBytes("""{"diagnosis": true, "gender": 0, "age": 60}"""));

        Assert.Equal([0f, 60f], sample.Features);
        Assert.False(sample.HasLabel);
        Assert.True(sample.LabelShape.IsEmpty);
    }
}
