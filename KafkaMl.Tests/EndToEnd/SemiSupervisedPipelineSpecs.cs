using KafkaMl.Tests.Compatibility;

namespace KafkaMl.Tests.EndToEnd;

/// <summary>
/// Issue 16's end-to-end test: a semi-supervised deployment in the real portal process, fed the Kafka-ML way by an
/// independent client (Kafka-ML's Python RawSink under kafka-python): labelled samples to the data topic, unlabelled
/// ones to an unsupervised topic keyed by one byte 0, both named by ranges in one control message.
/// </summary>
[Collection(PortalProcessCollection.Name)]
public sealed class SemiSupervisedPipelineSpecs(PortalProcessFixture portal)
{
    private const string BlobMlp = """Sequential(("fc1", Linear(2, 8)), ("relu", ReLU()), ("fc2", Linear(8, 2)))""";

    [Fact]
    public async Task Labelled_and_unlabelled_ranges_sent_by_Kafka_ML_s_python_sink_self_train_to_finished_with_rounds_recorded()
    {
        await ExternalClients.RequirePythonKafkaAsync();
        var name = $"semi-{Guid.NewGuid():N}";
        var (topic, unsupervised) = ($"e2e-{name}", $"e2e-{name}-unlabelled");
        var deployment = await DeploySemiSupervisedAsync(name);
        var (labelled, unlabelled) = (TwoBlobs(seed: 16, count: 60), TwoBlobs(seed: 61, count: 600));

        var arguments = new JsonObject
        {
            ["bootstrap"] = portal.BootstrapServers,
            ["topic"] = topic,
            ["unsupervised_topic"] = unsupervised,
            ["control_topic"] = portal.ControlTopic,
            ["deployment_id"] = deployment.Id,
            ["samples"] = new JsonArray([.. labelled.Select(s => (JsonNode)new JsonArray(Floats(s.Features), s.Label))]),
            ["unlabelled"] = new JsonArray([.. unlabelled.Select(s => (JsonNode)Floats(s.Features))]),
            ["input_config"] = new JsonObject { ["data_type"] = "float32", ["label_type"] = "int32", ["data_reshape"] = "2", ["label_reshape"] = "" },
            ["description"] = "two blobs, 10% labelled, sent by kafka-python",
            ["validation_rate"] = 0.1,
            ["test_rate"] = 0.25,
        };
        var run = (await ExternalClients.RunAsync(ExternalClients.Python, ["-c", KafkaMlPythonRawSink.Script, arguments.ToJsonString()]))
            .EnsureSuccess("Kafka-ML's RawSink with unlabelled data under kafka-python");
        var sent = JsonNode.Parse(run.Stdout.Trim())!;
        Assert.StartsWith(unsupervised + ":", sent["unsupervised_topic"]!.GetValue<string>());

        var result = await portal.WaitForResultAsync(deployment.Results[0].Id, r => r.Status.IsFinal());

        Assert.Equal(TrainingStatus.Finished, result.Status);
        var rounds = (await portal.GetAsync<JsonObject>($"/api/results/{result.Id}"))["selfTraining"]!.AsArray();
        Assert.Equal(0, rounds[0]!["round"]!.GetValue<int>());
        Assert.Equal(0, rounds[0]!["added"]!.GetValue<int>());
        Assert.True(rounds.Count >= 2, $"only the supervised round was recorded: {rounds.ToJsonString()}");
        Assert.True(rounds[1]!["added"]!.GetValue<int>() > 0, rounds.ToJsonString());
        Assert.All(rounds, r => Assert.InRange(r!["testMetrics"]!["accuracy"]!.GetValue<double>(), 0, 1));
        Assert.True(rounds.Skip(1).Sum(r => r!["added"]!.GetValue<int>()) <= unlabelled.Count);
        Assert.Equal(rounds[^1]!["testMetrics"]!["accuracy"]!.GetValue<double>(), result.TestMetrics["accuracy"], 6);
    }

    private async Task<DeploymentResponse> DeploySemiSupervisedAsync(string name)
    {
        var model = await portal.PostAsync<ModelResponse>("/api/models", new { name = $"{name}-model", code = BlobMlp });
        var configuration = await portal.PostAsync<ConfigurationResponse>("/api/configurations", new { name, modelIds = new[] { model.Id } });
        return await portal.PostAsync<DeploymentResponse>("/api/deployments", new
        {
            configurationId = configuration.Id,
            batchSize = 16,
            epochs = 20,
            learningRate = 0.01,
            optimizer = "adam",
            loss = "cross_entropy",
            metrics = new[] { "accuracy" },
            seed = 42,
            semiSupervised = true,
            unsupervisedRounds = 3,
            confidence = 0.9,
        });
    }

    /// <summary>Two seeded Gaussian blobs in the plane, centred at (−1.5, 0) and (1.5, 0), classes alternating.</summary>
    internal static List<(float[] Features, int Label)> TwoBlobs(int seed, int count)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var label = i % 2;
            return (new[] { (float)((label == 0 ? -1.5 : 1.5) + Normal()), (float)Normal() }, label);
        })];
    }

    private static JsonArray Floats(float[] values) => new([.. values.Select(v => (JsonNode)(double)v)]);
}
