using KafkaMl.Tests.Control;
using KafkaMl.Web.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using static KafkaMl.Tests.Support.PortalControlTopic;

namespace KafkaMl.Tests.Hosting;

/// <summary>The control logger inside a running portal, fed through the portal's embedded broker.</summary>
[Collection(PortalCollection.Name)]
public sealed class ControlLoggerSpecs(PortalFactory portal)
{
    [Fact]
    public async Task A_stream_sent_by_a_RawSink_is_stored_as_a_datasource_with_its_exact_ranges_format_config_rates_and_total()
    {
        var deploymentId = UniqueDeploymentId();
        var topic = UniqueTopic();
        using var sink = new RawSink(
            new KafkaSinkOptions
            {
                BootstrapServers = portal.Kafka().BootstrapServers,
                Topic = topic,
                ControlTopic = portal.Kafka().ControlTopic,
                DeploymentId = deploymentId,
                Description = "copd sample",
                ValidationRate = 0.1,
                TestRate = 0.2,
            },
            new RawFormatConfig(RawDataType.Float64, RawDataType.UInt8, DataReshape: "1 3"));
        for (var i = 0; i < 300; i++) sink.Send([i, i * 0.5f, -i], [i % 2]);
        var sent = await sink.CompleteAsync();

        var datasource = await portal.WaitForDatasourceAsync(d => d.DeploymentId == deploymentId);

        Assert.Equal(TopicRanges.Format(sent.Ranges), datasource.Topic);
        Assert.Equal(sent.ControlMessage!.Topic, datasource.Topic);
        Assert.Equal("RAW", datasource.InputFormat);
        Assert.True(JsonNode.DeepEquals(
            new JsonObject { ["data_type"] = "float64", ["label_type"] = "uint8", ["data_reshape"] = "1 3", ["label_reshape"] = "" },
            JsonNode.Parse(datasource.InputConfig)), datasource.InputConfig);
        Assert.Equal(("copd sample", 0.1, 0.2, 300L), (datasource.Description, datasource.ValidationRate, datasource.TestRate, datasource.TotalMsg));
    }

    [Theory]
    [InlineData("one raw byte", 201)] // Kafka-ML's Python sink: bytes([deployment_id])
    [InlineData("decimal string", 4321)] // KafkaMl's own sinks
    [InlineData("8-byte big-endian", 70_000)]
    public async Task Each_key_encoding_is_logged_with_its_deployment_id(string encoding, int deploymentId)
    {
        var key = encoding switch
        {
            "one raw byte" => DeploymentKey.EncodeOneByte(deploymentId),
            "decimal string" => Encoding.ASCII.GetBytes(deploymentId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _ => DeploymentKey.EncodeBigEndian(deploymentId),
        };
        var topic = UniqueTopic();
        var message = ControlMessageBuilder.KafkaMl().With("topic", $"{topic}:0:0:7").With("total_msg", 7).With("description", encoding);

        await portal.ProduceControlAsync(key, message.Utf8());

        var datasource = await portal.WaitForDatasourceAsync(d => d.Topic == $"{topic}:0:0:7");
        Assert.Equal(deploymentId, datasource.DeploymentId);
    }

    [Fact]
    public async Task Malformed_control_messages_are_counted_as_rejected_and_the_next_valid_one_is_still_stored()
    {
        var topic = UniqueTopic();
        var key = DeploymentKey.Encode(UniqueDeploymentId());
        var before = portal.LoggerStats().Snapshot;

        var badJson = await portal.ProduceControlAsync(key, Encoding.UTF8.GetBytes("{\"topic\": \"" + topic + ":0:0:5\", \"total_msg\": "));
        var emptyKey = await portal.ProduceControlAsync([], ControlMessageBuilder.KafkaMl().With("topic", $"{topic}:0:0:5").With("total_msg", 5).Utf8());
        var wrongTotal = await portal.ProduceControlAsync(key, ControlMessageBuilder.KafkaMl().With("topic", $"{topic}:0:0:5").With("total_msg", 6).Utf8());
        await portal.ProduceControlAsync(key, ControlMessageBuilder.KafkaMl().With("topic", $"{topic}:1:0:5").With("total_msg", 5).Utf8());

        var stored = await portal.WaitForDatasourceAsync(d => d.Topic.StartsWith(topic));
        Assert.Equal($"{topic}:1:0:5", stored.Topic);
        var after = portal.LoggerStats().Snapshot;
        Assert.True(after.Rejected - before.Rejected >= 3, $"rejected before {before.Rejected}, after {after.Rejected}");
        Assert.Equal(ControlLoggerState.Consuming, after.State);
        var reasons = after.RecentRejections.ToDictionary(r => r.Position, r => r.Reason);
        Assert.Contains("not valid JSON", reasons[badJson.Position()]);
        Assert.Contains("no key", reasons[emptyKey.Position()]);
        Assert.Contains("total_msg 6", reasons[wrongTotal.Position()]);
    }

    [Fact]
    public async Task A_control_message_read_again_by_a_restarted_logger_is_not_stored_twice()
    {
        var topic = UniqueTopic();
        var position = await portal.ProduceControlAsync(
            DeploymentKey.Encode(UniqueDeploymentId()),
            ControlMessageBuilder.KafkaMl().With("topic", $"{topic}:0:0:9").With("total_msg", 9).Utf8());
        await portal.WaitForDatasourceAsync(d => d.Topic.StartsWith(topic));

        // A logger in a new group has no committed offset: it reads the whole control topic again, as
        // the portal's own logger does after a crash before its offsets were committed.
        var stats = new ControlLoggerStats();
        using (var restarted = new ControlLoggerService(
            portal.Kafka(),
            Options.Create(new ControlLoggerOptions { GroupId = $"restarted-{Guid.NewGuid():N}" }),
            portal.Services.GetRequiredService<ControlMessageRecorder>(),
            stats,
            NullLogger<ControlLoggerService>.Instance))
        {
            await restarted.StartAsync(CancellationToken.None);
            await stats.WaitUntilAsync(s => s.Received > position.Offset.Value);
            await restarted.StopAsync(CancellationToken.None);
        }

        Assert.Single(await portal.DatasourcesAsync(d => d.Topic.StartsWith(topic)));
        Assert.True(stats.Snapshot.Duplicates >= 1, stats.Snapshot.ToString());
    }

    [Fact]
    public async Task Once_a_control_message_is_stored_the_loggers_group_commits_past_it()
    {
        var topic = UniqueTopic();
        var position = await portal.ProduceControlAsync(
            DeploymentKey.Encode(UniqueDeploymentId()),
            ControlMessageBuilder.KafkaMl().With("topic", $"{topic}:0:0:4").With("total_msg", 4).Utf8());
        await portal.WaitForDatasourceAsync(d => d.Topic.StartsWith(topic));

        var committed = await portal.WaitForCommittedAsync(ControlLoggerOptions.DefaultGroupId, position.Offset.Value + 1);

        Assert.True(committed > position.Offset.Value);
    }

    [Fact]
    public async Task The_logger_consumes_the_portals_control_topic_in_its_own_group()
    {
        var snapshot = await portal.LoggerStats().WaitUntilAsync(s => s.State != ControlLoggerState.NotStarted);

        Assert.Equal(ControlLoggerState.Consuming, snapshot.State);
        Assert.Equal(portal.Kafka().ControlTopic, snapshot.Topic);
        Assert.Equal(ControlLoggerOptions.DefaultGroupId, snapshot.GroupId);
    }
}
