using System.Buffers.Binary;
using KafkaMl.Core.Broker;
using KafkaMl.Tests.Hosting;
using static KafkaMl.Tests.Support.PortalControlTopic;

namespace KafkaMl.Tests.Compatibility;

/// <summary>
/// Issue 3's compatibility test: streams written by independent clients — not KafkaMl's encoder — in
/// Kafka-ML's RAW layout, announced by a control message with a ONE-BYTE key, are logged by the portal as
/// a datasource and decode to the values the client sent.
/// </summary>
[Collection(PortalCollection.Name)]
public sealed class KafkaMlClientCompatibilitySpecs(PortalFactory portal)
{
    [Fact]
    public async Task A_stream_sent_by_Kafka_ML_s_python_RawSink_is_logged_as_a_datasource_and_decodes_to_the_values_sent()
    {
        await ExternalClients.RequirePythonKafkaAsync();
        const int deploymentId = 202; // one raw byte above ASCII: 0xCA
        var topic = UniqueTopic("pyraw");
        portal.Services.GetRequiredService<EmbeddedBroker>().CreateTopic(topic, partitions: 2);
        var samples = Enumerable.Range(0, 24)
            .Select(i => (Features: new[] { i, i / 4f, -1.5f * i, 1000.1f + i }, Label: i % 3))
            .ToList();
        var inputConfig = new JsonObject { ["data_type"] = "float32", ["label_type"] = "int32", ["data_reshape"] = "2 2", ["label_reshape"] = "" };
        var arguments = new JsonObject
        {
            ["bootstrap"] = portal.Kafka().BootstrapServers,
            ["topic"] = topic,
            ["control_topic"] = portal.Kafka().ControlTopic,
            ["deployment_id"] = deploymentId,
            ["samples"] = new JsonArray([.. samples.Select(s => (JsonNode)new JsonArray(new JsonArray([.. s.Features.Select(f => (JsonNode)(double)f)]), s.Label))]),
            ["input_config"] = inputConfig.DeepClone(),
            ["description"] = "sent by kafka-python",
            ["validation_rate"] = 0.1,
            ["test_rate"] = 0.2,
        };

        var run = (await ExternalClients.RunAsync(ExternalClients.Python, ["-c", KafkaMlPythonRawSink.Script, arguments.ToJsonString()]))
            .EnsureSuccess("Kafka-ML's RawSink under kafka-python");
        var sent = JsonNode.Parse(run.Stdout.Trim())!.AsObject();

        var datasource = await portal.WaitForDatasourceAsync(d => d.Topic.StartsWith(topic));
        Assert.Equal(deploymentId, datasource.DeploymentId);
        Assert.Equal(sent["topic"]!.GetValue<string>(), datasource.Topic);
        Assert.Equal(samples.Count, datasource.TotalMsg);
        Assert.Equal(samples.Count, TopicRanges.Total(TopicRanges.Parse(datasource.Topic)));
        Assert.Equal(("RAW", "sent by kafka-python", 0.1, 0.2), (datasource.InputFormat, datasource.Description, datasource.ValidationRate, datasource.TestRate));
        Assert.True(JsonNode.DeepEquals(inputConfig, JsonNode.Parse(datasource.InputConfig)), datasource.InputConfig);

        var decoder = DataFormats.CreateDecoder(datasource.InputFormat, datasource.InputConfig);
        var decoded = portal.ReadRanges(TopicRanges.Parse(datasource.Topic))
            .Select(m => decoder.Decode(m.Message.Key, m.Message.Value))
            .OrderBy(s => s.Features[0])
            .ToList();
        Assert.Equal(samples.Count, decoded.Count);
        for (var i = 0; i < samples.Count; i++)
        {
            Assert.Equal(samples[i].Features, decoded[i].Features);
            Assert.Equal([2, 2], decoded[i].FeatureShape.ToArray());
            Assert.Equal([(float)samples[i].Label], decoded[i].Label!);
        }
    }

    [Fact]
    public async Task A_stream_produced_by_kcat_from_raw_files_with_a_one_byte_control_key_is_logged_and_decodes_to_the_bytes_sent()
    {
        ExternalClients.RequireKcat();
        const int deploymentId = 77; // one raw byte: 'M'
        var topic = UniqueTopic("kcraw");
        var bootstrap = portal.Kafka().BootstrapServers;
        var directory = Directory.CreateTempSubdirectory("kafkaml-kcat-");
        try
        {
            // Each file is one message: three little-endian float32 features, written byte by byte.
            var samples = Enumerable.Range(0, 6).Select(i => new[] { i, i + 0.25f, -2f * i }).ToList();
            var files = samples.Select((features, i) =>
            {
                var bytes = new byte[features.Length * sizeof(float)];
                for (var j = 0; j < features.Length; j++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(j * 4), features[j]);
                var path = Path.Combine(directory.FullName, $"sample-{i}.bin");
                File.WriteAllBytes(path, bytes);
                return path;
            }).ToList();

            // uint8 labels, one kcat run per label (kcat's -k is one key for all the files it sends).
            (await ExternalClients.RunAsync(ExternalClients.Kcat, ["-b", bootstrap, "-P", "-t", topic, "-p", "0", "-k", "\u0001", .. files.Take(3)]))
                .EnsureSuccess("kcat producing label 1");
            (await ExternalClients.RunAsync(ExternalClients.Kcat, ["-b", bootstrap, "-P", "-t", topic, "-p", "0", "-k", "\u0002", .. files.Skip(3)]))
                .EnsureSuccess("kcat producing label 2");
            var control = $$"""{"topic": "{{topic}}:0:0:6", "input_format": "RAW", "input_config": {"data_type": "float32", "label_type": "uint8", "data_reshape": "", "label_reshape": ""}, "description": "sent by kcat", "validation_rate": 0, "test_rate": 0.5, "total_msg": 6}""";
            (await ExternalClients.RunAsync(
                ExternalClients.Kcat, ["-b", bootstrap, "-P", "-t", portal.Kafka().ControlTopic, "-k", ((char)deploymentId).ToString()], stdin: control + "\n"))
                .EnsureSuccess("kcat producing the control message");

            var datasource = await portal.WaitForDatasourceAsync(d => d.Topic.StartsWith(topic));
            Assert.Equal((deploymentId, $"{topic}:0:0:6", 6L), (datasource.DeploymentId, datasource.Topic, datasource.TotalMsg));
            Assert.Equal(("RAW", "sent by kcat", 0.0, 0.5), (datasource.InputFormat, datasource.Description, datasource.ValidationRate, datasource.TestRate));
            Assert.Equal("uint8", JsonNode.Parse(datasource.InputConfig)!["label_type"]!.GetValue<string>());

            var decoder = DataFormats.CreateDecoder(datasource.InputFormat, datasource.InputConfig);
            var decoded = portal.ReadRanges(TopicRanges.Parse(datasource.Topic))
                .Select(m => decoder.Decode(m.Message.Key, m.Message.Value))
                .ToList();
            Assert.Equal(samples, decoded.Select(s => s.Features));
            Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], decoded.Select(s => Assert.Single(s.Label!)));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
