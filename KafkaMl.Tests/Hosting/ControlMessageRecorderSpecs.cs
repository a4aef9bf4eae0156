using KafkaMl.Tests.Control;
using KafkaMl.Web.Hosting;

namespace KafkaMl.Tests.Hosting;

/// <summary>Reading a control record into a datasource, and storing it once however often it is delivered.</summary>
public sealed class ControlMessageRecorderSpecs : DatabaseSpecBase
{
    private static readonly DateTimeOffset Written = new(2026, 11, 27, 10, 30, 15, 123, TimeSpan.Zero);

    private readonly ControlMessageRecorder recorder;

    public ControlMessageRecorderSpecs() => recorder = new ControlMessageRecorder(new TestDatabaseContexts(Database), TimeProvider.System);

    [Fact]
    public void A_control_message_becomes_a_datasource_with_every_field_as_sent_and_the_format_normalised()
    {
        var value = ControlMessageBuilder.KafkaMl().With("input_format", "raw").With("description", "COPD").Utf8();

        var datasource = Accepted(recorder.Decode(Record(DeploymentKey.EncodeOneByte(3), value)));

        Assert.Equal(3, datasource.DeploymentId);
        Assert.Equal("data:0:0:120,data:1:0:119", datasource.Topic);
        Assert.Equal("RAW", datasource.InputFormat);
        Assert.True(JsonNode.DeepEquals(
            new JsonObject { ["data_type"] = "float32", ["label_type"] = "uint8", ["data_reshape"] = "3", ["label_reshape"] = "" },
            JsonNode.Parse(datasource.InputConfig)));
        Assert.Equal(("COPD", 0.1, 0.1, 239L), (datasource.Description, datasource.ValidationRate, datasource.TestRate, datasource.TotalMsg));
        Assert.Equal(Written, datasource.Time);
        Assert.Equal("KAFKA_ML_CONTROL_TOPIC:0:42", datasource.ControlPosition);
    }

    [Fact]
    public void An_input_config_sent_as_a_json_string_is_stored_as_an_object()
    {
        var value = ControlMessageBuilder.KafkaMl().With("input_config", "{\"data_type\": \"uint8\", \"label_type\": \"uint8\"}").Utf8();

        var datasource = Accepted(recorder.Decode(Record(DeploymentKey.Encode(5), value)));

        Assert.True(JsonNode.DeepEquals(new JsonObject { ["data_type"] = "uint8", ["label_type"] = "uint8" }, JsonNode.Parse(datasource.InputConfig)));
    }

    [Fact]
    public void A_record_without_a_timestamp_is_stamped_with_the_time_it_was_read()
    {
        var before = DateTimeOffset.UtcNow;

        var datasource = Accepted(recorder.Decode(Record(DeploymentKey.Encode(5), ControlMessageBuilder.KafkaMl().Utf8()) with { Timestamp = null }));

        Assert.InRange(datasource.Time, before, DateTimeOffset.UtcNow);
    }

    [Fact]
    public void An_open_incremental_stream_is_stored_with_its_topic_and_no_total()
    {
        var value = ControlMessageBuilder.KafkaMl().With("topic", "sensors").With("incremental", true).Without("total_msg").Utf8();

        var datasource = Accepted(recorder.Decode(Record(DeploymentKey.Encode(5), value)));

        Assert.Equal(("sensors", 0L), (datasource.Topic, datasource.TotalMsg));
    }

    [Theory]
    [InlineData("", "{\"topic\": \"data:0:0:1\"}", "no key")]
    [InlineData("07", "{\"topic\": ", "not valid JSON")]
    [InlineData("07", "[1, 2]", "JSON object")]
    [InlineData("07", "{\"topic\": \"data:0:0:5\", \"total_msg\": 6}", "total_msg 6")]
    [InlineData("07", "{\"topic\": \"data:0:0:5\", \"input_format\": \"CSV\"}", "CSV")]
    [InlineData("07", "{\"topic\": \"data:0:5:1\"}", "before the start")]
    [InlineData("2147483648", "{\"topic\": \"data:0:0:1\"}", "larger than any deployment id")]
    public void A_malformed_control_message_is_rejected_with_its_reason(string key, string value, string reason)
    {
        var decoded = recorder.Decode(Record(Encoding.ASCII.GetBytes(key), Encoding.UTF8.GetBytes(value)));

        Assert.Null(decoded.Datasource);
        Assert.Contains(reason, decoded.Problem);
    }

    [Fact]
    public void A_record_without_a_value_is_rejected()
    {
        var decoded = recorder.Decode(Record(DeploymentKey.Encode(5), null));

        Assert.Contains("no value", decoded.Problem);
    }

    [Fact]
    public async Task The_same_control_record_delivered_twice_is_stored_once()
    {
        var record = Record(DeploymentKey.Encode(5), ControlMessageBuilder.KafkaMl().Utf8());

        var first = await recorder.StoreAsync(Accepted(recorder.Decode(record)), CancellationToken.None);
        var again = await recorder.StoreAsync(Accepted(recorder.Decode(record)), CancellationToken.None);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Datasource.Id, again.Datasource.Id);
        await using var db = Database.CreateContext();
        Assert.Equal(1, await db.Datasources.CountAsync());
    }

    [Fact]
    public async Task A_new_message_at_the_offset_of_a_recreated_control_topic_is_stored()
    {
        // The embedded broker starts empty, so after a restart offsets begin at 0 again; the timestamp tells them apart.
        var old = Record(DeploymentKey.Encode(5), ControlMessageBuilder.KafkaMl().Utf8());
        var recreated = old with { Timestamp = Written.AddDays(1) };

        await recorder.StoreAsync(Accepted(recorder.Decode(old)), CancellationToken.None);
        var second = await recorder.StoreAsync(Accepted(recorder.Decode(recreated)), CancellationToken.None);

        Assert.True(second.Created);
        await using var db = Database.CreateContext();
        Assert.Equal(2, await db.Datasources.CountAsync());
    }

    [Fact]
    public async Task The_database_refuses_a_second_row_for_the_same_control_record()
    {
        var datasource = Accepted(recorder.Decode(Record(DeploymentKey.Encode(5), ControlMessageBuilder.KafkaMl().Utf8())));
        await recorder.StoreAsync(datasource, CancellationToken.None);

        await using var db = Database.CreateContext();
        db.Datasources.Add(Accepted(recorder.Decode(Record(DeploymentKey.Encode(6), ControlMessageBuilder.KafkaMl().Utf8()))));

        var refused = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        Assert.True(refused.IsUniqueViolation());
    }

    private static ControlRecord Record(byte[]? key, byte[]? value) =>
        new("KAFKA_ML_CONTROL_TOPIC", 0, 42, Written, key, value);

    private static Datasource Accepted(ControlDecodeResult decoded)
    {
        Assert.True(decoded.Problem is null, decoded.Problem);
        return decoded.Datasource!;
    }
}
