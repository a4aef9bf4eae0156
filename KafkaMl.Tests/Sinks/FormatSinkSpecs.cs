using System.Globalization;
using KafkaMl.Tests.Formats;

namespace KafkaMl.Tests.Sinks;

[Collection(SinkBrokerCollection.Name)]
public sealed class FormatSinkSpecs(BrokerFixture broker)
{
    private static IReadOnlyList<(float[] Features, float[] Label)> HcopdRows() =>
        [.. File.ReadLines(AvroRecords.SharedDataPath("hcopd.csv")).Skip(1)
            .Select(line => line.Split(',').Select(c => float.Parse(c, CultureInfo.InvariantCulture)).ToArray())
            .Select(cells => (new[] { cells[1], cells[2], cells[3] }, new[] { cells[0] }))];

    private IReadOnlyList<DecodedSample> ReadBack(string controlTopic, long deploymentId)
    {
        var control = Assert.Single(broker.ReadAll(controlTopic));
        var received = ControlMessage.Read(control.Message.Key, control.Message.Value);
        Assert.Equal(deploymentId, received.DeploymentId);
        var decoder = received.Message.CreateDecoder();
        return [.. broker.ReadRanges(received.Message.GetRanges()).Select(m => decoder.Decode(m.Message.Key, m.Message.Value))];
    }

    [Fact]
    public async Task An_avro_sink_sends_the_hcopd_rows_that_read_back_through_its_control_message()
    {
        var topics = broker.NewTopics();
        var rows = HcopdRows();
        using var sink = AvroSink.FromSchemaFiles(SinkSamples.Options(broker, topics, deploymentId: 4) with { Partition = 0 },
            AvroRecords.SharedDataPath("data_scheme.avsc"), AvroRecords.SharedDataPath("label_scheme.avsc"));

        foreach (var (features, label) in rows) sink.Send(features, label);
        var result = await sink.CompleteAsync();

        Assert.Equal(rows.Count, result.Messages);
        var decoded = ReadBack(topics.Control, 4);
        Assert.Equal(rows.Select(r => r.Features), decoded.Select(s => s.Features));
        Assert.Equal(rows.Select(r => r.Label), decoded.Select(s => s.Label!));
    }

    [Fact]
    public async Task An_avro_sink_sends_apache_avro_records_as_kafka_mls_send_avro_does()
    {
        var topics = broker.NewTopics();
        using var sink = new AvroSink(SinkSamples.Options(broker, topics) with { Partition = 1 },
            new AvroFormatConfig(AvroRecords.HcopdDataScheme, AvroRecords.HcopdLabelScheme));

        for (var i = 0; i < 20; i++)
        {
            var data = new Avro.Generic.GenericRecord(sink.DataSchema);
            data.Add("gender", (float)(i % 2));
            data.Add("age", 50f + i);
            data.Add("smoking", 1f);
            var label = new Avro.Generic.GenericRecord(sink.LabelSchema!);
            label.Add("diagnosis", i % 3 == 0);
            sink.Send(data, label);
        }
        await sink.CompleteAsync();

        var decoded = ReadBack(topics.Control, 17);
        Assert.Equal(20, decoded.Count);
        Assert.Equal([1f, 69f, 1f], decoded[19].Features);
        Assert.Equal([0f], decoded[19].Label!);
        Assert.Equal([1f], decoded[18].Label!);
    }

    [Fact]
    public async Task A_json_sink_sends_named_fields_that_read_back_through_its_control_message()
    {
        var topics = broker.NewTopics();
        var rows = HcopdRows();
        var format = new JsonFormatConfig(["gender", "age", "smoking"], "diagnosis");
        using var sink = new JsonSink(SinkSamples.Options(broker, topics, deploymentId: 300) with { Partition = 3 }, format);

        foreach (var (features, label) in rows) sink.Send(features, label);
        await sink.CompleteAsync();

        var decoded = ReadBack(topics.Control, 300);
        Assert.Equal(rows.Select(r => r.Features), decoded.Select(s => s.Features));
        Assert.Equal(rows.Select(r => r.Label), decoded.Select(s => s.Label!));
    }

    [Fact]
    public async Task A_json_sink_sends_arrays_with_the_label_as_key()
    {
        var topics = broker.NewTopics();
        var samples = SinkSamples.Indexed(200, features: 5);
        using var sink = new JsonSink(SinkSamples.Options(broker, topics));

        foreach (var (features, label) in samples) sink.Send(features, label);
        await sink.CompleteAsync();

        var decoded = ReadBack(topics.Control, 17).OrderBy(s => s.Features[0]).ToList();
        Assert.Equal(samples.Select(s => s.Features), decoded.Select(s => s.Features));
        Assert.Equal(samples.Select(s => s.Label), decoded.Select(s => s.Label!));
    }
}
