using KafkaMl.Tests.Inference;
using static TorchSharp.torch.nn;

namespace KafkaMl.Tests.Jobs.Inference;

/// <summary>
/// A real replica process (<c>infer --inference</c>) following the model version its portal names (a stand-in serving
/// the replica's routes): it loads the new version beside, swaps between batches, stamps each output with the version,
/// and refuses a version that will not load while the previous keeps serving.
/// </summary>
[Collection(InferenceBrokerCollection.Name)]
public sealed class VersionFollowingSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    private const string Token = "follow-token";

    /// <summary>Version 2's own standardisation: a version brings its scaler, and the replica must use that one.</summary>
    private static readonly FeatureScaler SecondScaler = new([0.4f, 58f, 1.5f], [0.6f, 10f, 1f]);

    [Fact]
    public async Task A_replica_serving_the_latest_swaps_to_a_new_version_mid_stream_and_answers_every_input_exactly_once()
    {
        var topics = broker.NewInferenceTopics(partitions: 2);
        using var first = InferenceModels.Hcopd();
        using var second = InferenceModels.Hcopd();
        await using var portal = await StartPortalAsync(topics, first);
        using var replica = StartReplica(portal);
        await replica.WaitForLineAsync(l => l.StartsWith("replica 0 assigned", StringComparison.Ordinal), Eventually.Patience);

        // A paced stream that runs until well after the swap: it stops 200 inputs after the first output of version 2.
        var sent = 0;
        var stopAt = int.MaxValue;
        var sending = Task.Run(async () =>
        {
            while (Volatile.Read(ref sent) < Volatile.Read(ref stopAt))
            {
                await broker.ProduceAsync(topics.Input, Enumerable.Range(sent, 20).Select(i => InferenceInputs.Message(i)));
                Interlocked.Add(ref sent, 20);
                await Task.Delay(20);
            }
        });
        broker.ReadUntil(topics.Output, all => all.Count >= 200);
        portal.Versions[2] = (WeightsOf(second), ScalerJson(SecondScaler));
        var published = System.Diagnostics.Stopwatch.StartNew();
        portal.Wanted = 2; // published: the replica's next question gets version 2
        broker.ReadUntil(topics.Output, all => all.Any(a => InferenceInputs.Parse(a).ModelVersion == 2));
        output.WriteLine($"version 2 published -> first output of version 2 read: {published.ElapsedMilliseconds} ms (poll every 1 s + load + read)");
        Volatile.Write(ref stopAt, Volatile.Read(ref sent) + 200);
        await sending;

        var count = Volatile.Read(ref sent);
        var answers = broker.ReadAnswers(topics.Output, Enumerable.Range(0, count).Select(i => $"k{i}").ToList());
        var perKey = answers.GroupBy(BrokerFixture.KeyOf).ToDictionary(g => g.Key, g => g.Select(InferenceInputs.Parse).ToList());
        output.WriteLine($"{answers.Count} predictions for {count} inputs; versions {string.Join(", ", perKey.Values.GroupBy(p => p[0].ModelVersion).Select(g => $"v{g.Key}: {g.Count()}"))}");
        Assert.Equal(count, perKey.Count);
        Assert.All(perKey, pair => Assert.True(pair.Value.Count == 1, $"{pair.Key} was answered {pair.Value.Count} times"));
        Assert.Equal([1, 2], perKey.Values.Select(p => p[0].ModelVersion!.Value).Distinct().Order());
        // Per partition, in input order: version 1 up to the swap, version 2 from it on.
        foreach (var partition in perKey.Values.Select(p => p[0]).GroupBy(p => p.Partition))
        {
            var versions = partition.OrderBy(p => p.Offset).Select(p => p.ModelVersion!.Value).ToList();
            Assert.Equal(versions.Order(), versions);
        }
        AssertPredictions(perKey, new() { [1] = InferenceModels.Served(first), [2] = new InferenceModel(second, SecondScaler, Loss.CrossEntropy) });

        Assert.Contains(replica.StdoutLines, l => l.StartsWith("replica 0 serves model version 2 (was 1)", StringComparison.Ordinal));
        Assert.DoesNotContain(replica.StdoutLines, l => l.StartsWith("replica 0 revoked", StringComparison.Ordinal) || l.StartsWith("replica 0 lost", StringComparison.Ordinal));
        Assert.Equal(2, (await portal.WaitForStatsAsync(r => r.ModelVersion == 2)).ModelVersion);
        Assert.Equal(0, await replica.StopAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task A_version_whose_weights_will_not_load_is_refused_and_reported_while_the_previous_serves_and_a_roll_back_by_hand_switches()
    {
        var topics = broker.NewInferenceTopics(partitions: 1);
        using var first = InferenceModels.Hcopd();
        using var second = InferenceModels.Hcopd();
        using var wider = Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 8)), ("sig", Sigmoid()), ("fc2", Linear(8, 2)));
        await using var portal = await StartPortalAsync(topics, first);
        portal.Versions[2] = (WeightsOf(second), ScalerJson(SecondScaler));
        portal.Versions[3] = (WeightsOf(wider), ScalerJson(InferenceModels.Scaler)); // another network's weights: they do not fit
        portal.Wanted = 2;
        using var replica = StartReplica(portal);
        var models = new Dictionary<int, InferenceModel> { [1] = InferenceModels.Served(first), [2] = new InferenceModel(second, SecondScaler, Loss.CrossEntropy) };

        Assert.Equal([2], await ServedVersionsAsync(topics, "a", models));

        portal.Wanted = 3;
        var refusal = await portal.WaitForStatsAsync(r => r.RefusedVersion == 3);
        Assert.Equal(2, refusal.ModelVersion);
        Assert.Contains("do not fit this model", refusal.LoadError, StringComparison.Ordinal);
        Assert.Contains(replica.StdoutLines, l => l.StartsWith("replica 0 refused model version 3, still serving 2: ", StringComparison.Ordinal));
        // A replica started now is told version 3 and serves the newest older version that loads, saying so.
        using (var late = StartReplica(portal, "1"))
        {
            var lateReport = await portal.WaitForStatsAsync(r => r.Replica == "1");
            Assert.Equal((2, 3), (lateReport.ModelVersion, lateReport.RefusedVersion));
            Assert.Equal(0, await late.StopAsync(TimeSpan.FromSeconds(60)));
        }
        Assert.Equal([2], await ServedVersionsAsync(topics, "b", models));

        portal.Wanted = 1; // rolled back by hand
        await portal.WaitForStatsAsync(r => r.ModelVersion == 1 && r.RefusedVersion is null);
        Assert.Equal([1], await ServedVersionsAsync(topics, "c", models));
        Assert.DoesNotContain(replica.StdoutLines, l => l.Contains("serves model version 3", StringComparison.Ordinal));
        Assert.Equal(0, await replica.StopAsync(TimeSpan.FromSeconds(60)));
    }

    // ---- helpers ----

    /// <summary>Sends 10 inputs keyed <paramref name="prefix"/>0..9; checks each is answered once, as its version's model predicts; the versions seen.</summary>
    private async Task<IReadOnlyList<int>> ServedVersionsAsync(InferenceTopics topics, string prefix, Dictionary<int, InferenceModel> models)
    {
        await broker.ProduceAsync(topics.Input, InferenceInputs.Messages(10, prefix));
        var answers = broker.ReadAnswers(topics.Output, Enumerable.Range(0, 10).Select(i => $"{prefix}{i}").ToList())
            .Where(a => BrokerFixture.KeyOf(a).StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var perKey = answers.GroupBy(BrokerFixture.KeyOf).ToDictionary(g => g.Key, g => g.Select(InferenceInputs.Parse).ToList());
        Assert.All(perKey.Values, list => Assert.Single(list));
        AssertPredictions(perKey, models);
        return [.. perKey.Values.Select(p => p[0].ModelVersion!.Value).Distinct().Order()];
    }

    /// <summary>Every prediction is the one its version's model makes in-process (the key's number is the input's index).</summary>
    private static void AssertPredictions(Dictionary<string, List<PredictionMessage>> perKey, Dictionary<int, InferenceModel> models)
    {
        foreach (var (key, list) in perKey)
        {
            var index = int.Parse(key.TrimStart('k', 'a', 'b', 'c'), System.Globalization.CultureInfo.InvariantCulture);
            var prediction = list[0];
            var want = models[prediction.ModelVersion!.Value].Predict(InferenceInputs.Decoder.Decode(default, InferenceInputs.Message(index).Value).Features, [3]);
            Assert.Equal(want.Class, prediction.Prediction);
            for (var v = 0; v < want.Values.Length; v++) Assert.Equal(want.Values[v], prediction.Values[v]!.Value, 1e-5);
        }
    }

    private async Task<ReplicaPortalStandIn> StartPortalAsync(InferenceTopics topics, Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> first) =>
        await ReplicaPortalStandIn.StartAsync(new InferenceJobSpec(
            InferenceId: 11, ResultId: 5, ModelName: "hcopd-versions", ModelCode: InferenceModels.HcopdScript, Loss: "cross_entropy",
            InputFormat: "raw", InputConfig: new JsonObject { ["data_type"] = "float32", ["data_reshape"] = "3" },
            InputTopic: topics.Input, OutputTopic: topics.Output, ConsumerGroup: topics.Group,
            Scaler: ScalerJson(InferenceModels.Scaler)), WeightsOf(first), Token);

    private KafkaMlProcess StartReplica(ReplicaPortalStandIn portal, string replica = "0") =>
        KafkaMlProcess.Start(["infer", "--inference", "11", "--stats-interval", "0.5"], new Dictionary<string, string?>
        {
            [JobEnvironment.PortalUrlVariable] = portal.Url,
            [JobEnvironment.TokenVariable] = Token,
            [JobEnvironment.BootstrapServersVariable] = broker.BootstrapServers,
            [KafkaMl.Web.Cli.InferVerb.ReplicaVariable] = replica,
        });

    private static byte[] WeightsOf(Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> module)
    {
        using var files = InferenceModels.Save(module);
        return File.ReadAllBytes(files.Weights);
    }

    private static JsonObject ScalerJson(FeatureScaler scaler) => JsonNode.Parse(scaler.ToJson())!.AsObject();
}
