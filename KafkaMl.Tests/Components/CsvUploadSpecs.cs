using Bunit;
using KafkaMl.Tests.Cli;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Tests.Components;

/// <summary>
/// The upload component against a real embedded broker: the browser's file goes through the portal to the topic
/// (the <c>send</c> verb's sink), with progress and a result; a bad cell is reported at its line and column and
/// nothing is produced. Each spec has its own control topic and deployment id, so specs sharing the broker never
/// read each other's messages.
/// </summary>
[Collection(EmbeddedBrokerCollection.Name)]
public sealed class CsvUploadSpecs(BrokerFixture broker)
    : PortalComponentContext(new KafkaEndpoint(broker.Broker.BootstrapServers, true, $"control-{Guid.NewGuid():N}"))
{
    private readonly int deploymentId = Random.Shared.Next(1_000, 1_000_000);

    private string Bootstrap => broker.Broker.BootstrapServers;

    private string ControlTopic => Services.GetRequiredService<KafkaEndpoint>().ControlTopic;

    [Fact]
    public void The_label_defaults_to_the_last_column_of_the_chosen_file()
    {
        var upload = RenderUpload(("DeploymentId", deploymentId));

        Choose(upload, "hcopd.csv", File.ReadAllText(KafkaMl.Tests.Cli.Cli.HcopdCsv));

        Assert.Equal(["Diagnosis", "Gender", "Age", "Smoking"], upload.FindAll("[data-testid=csv-upload-label] option").Select(o => o.TextContent));
        Assert.Equal("Smoking", upload.Input("csv-upload-label").GetAttribute("value"));
    }

    [Fact]
    public void The_HCOPD_file_reaches_the_deployment_topic_and_its_control_message_follows()
    {
        var upload = RenderUpload(("DeploymentId", deploymentId));
        Choose(upload, "hcopd.csv", File.ReadAllText(KafkaMl.Tests.Cli.Cli.HcopdCsv));
        upload.Input("csv-upload-label").Change("Diagnosis");

        upload.Click("csv-upload-start");

        upload.WaitForAssertion(() => Assert.Equal("true", upload.Find("[data-testid=csv-upload-result]").GetAttribute("data-ok")));
        Assert.StartsWith($"Sent 239 samples to kafkaml-data-{deploymentId} and the control message for deployment {deploymentId}", upload.Text("csv-upload-result"));
        Assert.Equal("100", upload.Find("[data-testid=csv-upload-progress]").GetAttribute("data-percent"));

        var control = ReadAll(ControlTopic).Single();
        Assert.Equal(deploymentId.ToString(), control.Message.Key);
        var message = ControlMessage.Parse(control.Message.Value);
        Assert.Equal((239L, "RAW", "hcopd.csv"), (message.TotalMsg, message.InputFormat, message.Description));
        Assert.All(TopicRanges.Parse(message.Topic), range => Assert.Equal($"kafkaml-data-{deploymentId}", range.Topic));
        Assert.Equal(239, MessageCount($"kafkaml-data-{deploymentId}"));
    }

    [Fact]
    public void For_an_incremental_deployment_the_file_goes_as_an_online_stream_with_its_control_message_first()
    {
        var id = Random.Shared.Next(1, 128); // one raw byte, as Kafka-ML's OnlineRawSink sends the key (ASCII: the spec reads keys as text)
        var upload = RenderUpload(("DeploymentId", id), ("Online", true));
        Choose(upload, "hcopd.csv", File.ReadAllText(KafkaMl.Tests.Cli.Cli.HcopdCsv));
        upload.Input("csv-upload-label").Change("Diagnosis");

        upload.Click("csv-upload-start");

        upload.WaitForAssertion(() => Assert.Equal("true", upload.Find("[data-testid=csv-upload-result]").GetAttribute("data-ok")));
        var control = ReadAll(ControlTopic).Single();
        var message = ControlMessage.Parse(control.Message.Value);
        Assert.True(message.IsOpenStream);
        Assert.Equal($"kafkaml-data-{id}", message.Topic);
        Assert.Equal([(byte)id], System.Text.Encoding.Latin1.GetBytes(control.Message.Key));
        var data = ReadAll($"kafkaml-data-{id}");
        Assert.Equal(239, data.Count);
        Assert.True(control.Message.Timestamp.UnixTimestampMs <= data.Min(m => m.Message.Timestamp.UnixTimestampMs), "the control message goes before the data");
    }

    [Fact]
    public void A_bad_cell_is_reported_at_its_line_and_column_and_nothing_is_produced()
    {
        var upload = RenderUpload(("DeploymentId", deploymentId));
        Choose(upload, "bad.csv", "a,b,label\n1,2,0\n3,oops,1\n");

        upload.Click("csv-upload-start");

        upload.WaitForAssertion(() => Assert.Equal("false", upload.Find("[data-testid=csv-upload-result]").GetAttribute("data-ok")));
        var text = upload.Text("csv-upload-result");
        Assert.Contains("line 3, column 2", text);
        Assert.Contains("Nothing was sent", text);
        Assert.Equal(0, MessageCount($"kafkaml-data-{deploymentId}"));
        Assert.Equal(0, MessageCount(ControlTopic));
    }

    [Fact]
    public void Samples_to_a_topic_go_in_its_format_without_the_left_out_column_and_without_a_control_message()
    {
        var topic = $"inference-in-{Guid.NewGuid():N}";
        var upload = RenderUpload(("Topic", topic), ("InputFormat", "JSON"), ("InputConfig", null));
        Choose(upload, "samples.csv", "x,y,label\n1,2,0\n3,4,1\n5,6,0\n");

        upload.Click("csv-upload-start");

        upload.WaitForAssertion(() => Assert.Equal("true", upload.Find("[data-testid=csv-upload-result]").GetAttribute("data-ok")));
        Assert.Equal($"Sent 3 samples to {topic}.", upload.Text("csv-upload-result"));
        Assert.Equal(3, MessageCount(topic));
        var values = ReadAll(topic).Select(m => JsonNode.Parse(m.Message.Value)!.ToJsonString()).Order().ToList();
        Assert.Equal(["[1,2]", "[3,4]", "[5,6]"], values);
        Assert.Equal(0, MessageCount(ControlTopic));
    }

    private IRenderedComponent<IComponent> RenderUpload(params (string Name, object? Value)[] parameters) =>
        RenderWithProviders<CsvUpload>(parameters);

    /// <summary>Picks a file in the browser's file input, and waits until the portal has it and shows its columns.</summary>
    private static void Choose(IRenderedComponent<IComponent> upload, string name, string content)
    {
        upload.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(content, name));
        upload.WaitForElement("[data-testid=csv-upload-label]");
    }

    /// <summary>Messages in every partition of <paramref name="topic"/> (0 when it does not exist).</summary>
    private long MessageCount(string topic)
    {
        using var admin = KafkaTestClients.Admin(Bootstrap);
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(20)).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0) return 0;
        using var consumer = KafkaTestClients.ConsumerBuilder(Bootstrap, $"count-{Guid.NewGuid():N}").Build();
        return metadata.Partitions.Sum(p => consumer.QueryWatermarkOffsets(new TopicPartition(topic, p.PartitionId), TimeSpan.FromSeconds(20)).High.Value);
    }

    private List<ConsumeResult<string, string>> ReadAll(string topic)
    {
        var metadata = KafkaTestClients.TopicMetadata(Bootstrap, topic);
        using var consumer = KafkaTestClients.ConsumerBuilder(Bootstrap, $"read-{Guid.NewGuid():N}").Build();
        consumer.Assign(metadata.Partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)));
        var received = new List<ConsumeResult<string, string>>();
        var expected = MessageCount(topic);
        using var deadline = new CancellationTokenSource(Eventually.Patience);
        while (received.Count < expected && !deadline.IsCancellationRequested)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result) received.Add(result);
        }
        return received;
    }
}
