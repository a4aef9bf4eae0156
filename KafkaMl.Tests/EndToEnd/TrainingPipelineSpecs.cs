using System.IO.Compression;

namespace KafkaMl.Tests.EndToEnd;

/// <summary>
/// The training pipeline as a user drives it, all real: the portal process, its embedded broker, Hangfire,
/// the local runner's `train` child processes, TorchSharp, and the project's sink for the data.
/// </summary>
[Collection(PortalProcessCollection.Name)]
public sealed class TrainingPipelineSpecs(PortalProcessFixture portal)
{
    public const string HcopdMlp = """Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))""";
    private const string WideMlp = """Sequential(("fc1", Linear(3, 16)), ("relu", ReLU()), ("fc2", Linear(16, 2)))""";

    [Fact]
    public async Task HCOPD_trains_to_finished_with_80_percent_test_accuracy_and_the_downloaded_weights_predict_like_the_job()
    {
        var deployment = await DeployAsync(portal, $"hcopd-{Guid.NewGuid():N}", [HcopdMlp], epochs: 50);
        var sent = await SendHcopdAsync(portal, deployment.Id);

        var result = await portal.WaitForResultAsync(deployment.Results[0].Id, r => r.Status.IsFinal());

        Assert.Equal(TrainingStatus.Finished, result.Status);
        Assert.True(result.TestMetrics["accuracy"] >= 0.80, $"test accuracy {result.TestMetrics["accuracy"]}");
        Assert.Equal(24, result.ConfusionMatrix!.Sum(row => row.Sum()));
        var metrics = await portal.GetAsync<JsonObject>($"/api/results/{result.Id}/metrics");
        Assert.Equal(50, metrics["epochs"]!.AsArray().Count);

        var recomputed = await EvaluateDownloadedModelAsync(result.Id, sent, deployment.Seed);
        Assert.Equal(result.TestMetrics["accuracy"], recomputed.Metrics["accuracy"], 6);
        Assert.Equal(result.TestMetrics["loss"], recomputed.Metrics["loss"], 4);
        Assert.Equal(result.ConfusionMatrix, recomputed.ConfusionMatrix);
    }

    [Fact]
    public async Task Two_models_of_one_configuration_train_in_parallel_from_one_stream_and_compare_side_by_side()
    {
        var deployment = await DeployAsync(portal, $"pair-{Guid.NewGuid():N}", [HcopdMlp, WideMlp], epochs: 30);
        Assert.Equal(2, deployment.Results.Count);
        await SendHcopdAsync(portal, deployment.Id);

        var results = new List<ResultResponse>();
        foreach (var summary in deployment.Results)
            results.Add(await portal.WaitForResultAsync(summary.Id, r => r.Status.IsFinal()));

        Assert.All(results, r => Assert.Equal(TrainingStatus.Finished, r.Status));
        var compared = await portal.GetAsync<List<ResultResponse>>($"/api/results?deploymentId={deployment.Id}");
        Assert.Equal(results.Select(r => r.Id).Order(), compared.Select(r => r.Id).Order());
        Assert.All(compared, r => Assert.Contains("accuracy", r.TestMetrics.Keys));
        Assert.Single(compared.Select(r => r.Input!.Topic).Distinct()); // one stream fed both
    }

    [Fact]
    public async Task A_stream_whose_samples_do_not_fit_the_model_fails_the_result_naming_both_shapes()
    {
        var deployment = await DeployAsync(portal, $"shape-{Guid.NewGuid():N}", [HcopdMlp], epochs: 5);
        await SendAsync(portal, deployment.Id, Enumerable.Range(0, 40).Select(i => (new float[] { i, i, i, i }, (float)(i % 2))));

        var result = await portal.WaitForResultAsync(deployment.Results[0].Id, r => r.Status.IsFinal());

        Assert.Equal(TrainingStatus.Failed, result.Status);
        Assert.Contains("[4]", result.Error);
        Assert.Contains("3", result.Error);
    }

    [Fact]
    public async Task A_control_message_naming_ranges_that_do_not_exist_fails_the_result_clearly()
    {
        var deployment = await DeployAsync(portal, $"ranges-{Guid.NewGuid():N}", [HcopdMlp], epochs: 5);
        var topic = $"e2e-missing-{Guid.NewGuid():N}";
        var sent = await SendAsync(portal, deployment.Id, Enumerable.Range(0, 10).Select(i => (new float[] { i, i, i }, 0f)), topic, announce: false);
        var control = ControlMessage.ForRanges([new TopicRange(topic, sent.Ranges[0].Partition, 0, 500)], "RAW", InputConfig.Empty, "ranges beyond the data");
        using (var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig { BootstrapServers = portal.BootstrapServers }).Build())
            await producer.ProduceAsync(portal.ControlTopic, new Message<byte[], byte[]> { Key = DeploymentKey.Encode(deployment.Id), Value = control.ToUtf8Json() });

        var result = await portal.WaitForResultAsync(deployment.Results[0].Id, r => r.Status.IsFinal());

        Assert.Equal(TrainingStatus.Failed, result.Status);
        Assert.Contains(topic, result.Error);
        Assert.Contains("missing", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_training_job_killed_mid_epoch_leaves_the_result_failed_not_training()
    {
        var deployment = await DeployAsync(portal, $"killed-{Guid.NewGuid():N}", [HcopdMlp], epochs: 10_000);
        await SendHcopdAsync(portal, deployment.Id);
        var resultId = deployment.Results[0].Id;
        await portal.WaitForResultAsync(resultId, r => r.Status == TrainingStatus.Training || r.Status.IsFinal());
        await WaitForEpochAsync(resultId);

        var pidFile = Path.Combine(portal.DataDir, "jobs", $"kafkaml-train-{resultId}", "replica-0.pid");
        var pid = int.Parse(File.ReadAllText(pidFile).Split(' ')[0]);
        System.Diagnostics.Process.GetProcessById(pid).Kill();

        var result = await portal.WaitForResultAsync(resultId, r => r.Status.IsFinal());
        Assert.Equal(TrainingStatus.Failed, result.Status);
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
    }

    private Task WaitForEpochAsync(int resultId) =>
        Eventually.Until(
            async () => (await portal.GetAsync<JsonObject>($"/api/results/{resultId}/metrics"))["epochs"]!.AsArray().Count, epochs => epochs > 0,
            $"result {resultId} to report an epoch", TimeSpan.FromMilliseconds(200));

    internal static async Task<DeploymentResponse> DeployAsync(PortalProcessFixture portal, string name, string[] scripts, int epochs)
    {
        var modelIds = new List<int>();
        for (var i = 0; i < scripts.Length; i++)
            modelIds.Add((await portal.PostAsync<ModelResponse>("/api/models", new { name = $"{name}-model-{i}", code = scripts[i] })).Id);
        var configuration = await portal.PostAsync<ConfigurationResponse>("/api/configurations", new { name, modelIds });
        return await portal.PostAsync<DeploymentResponse>("/api/deployments", new
        {
            configurationId = configuration.Id,
            batchSize = 10,
            epochs,
            learningRate = 0.01,
            optimizer = "adam",
            loss = "cross_entropy",
            metrics = new[] { "accuracy" },
            seed = 42,
        });
    }

    internal static Task<SinkResult> SendHcopdAsync(PortalProcessFixture portal, int deploymentId) => SendAsync(portal, deploymentId, HcopdRows());

    /// <summary>The HCOPD sample's rows: features and the diagnosis label.</summary>
    internal static List<(float[] Features, float Label)> HcopdRows()
    {
        var rows = new List<(float[], float)>();
        using var csv = CsvSamples.Open(Path.Combine(KafkaMlProcess.RepoRoot, "samples", "hcopd", "hcopd.csv"), new CsvSampleOptions { Label = "Diagnosis" });
        while (csv.MoveNext()) rows.Add((csv.Features.ToArray(), csv.Label[0]));
        return rows;
    }

    private static async Task<SinkResult> SendAsync(PortalProcessFixture portal, int deploymentId, IEnumerable<(float[] Features, float Label)> samples, string? topic = null, bool announce = true)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = portal.BootstrapServers,
            ControlTopic = announce ? portal.ControlTopic : $"unannounced-{Guid.NewGuid():N}",
            Topic = topic ?? $"e2e-data-{Guid.NewGuid():N}",
            DeploymentId = deploymentId,
            ValidationRate = 0.1,
            TestRate = 0.1,
        });
        foreach (var (features, label) in samples) sink.Send(features, [label]);
        return await sink.CompleteAsync();
    }

    /// <summary>
    /// Rebuilds the test split the job used (same ranges, order, seed and standardisation) and evaluates the
    /// model bundle downloaded from the portal on it.
    /// </summary>
    private async Task<Evaluation> EvaluateDownloadedModelAsync(int resultId, SinkResult sent, int seed)
    {
        var (module, scaler) = await DownloadModelAsync(portal, resultId);
        var decoder = DataFormats.CreateDecoder("RAW", InputConfig.Empty);
        var perRange = sent.Ranges.Select(_ => new List<DecodedSample>()).ToArray();
        new RangeReader(portal.BootstrapServers).Read(sent.Ranges, (i, m) => perRange[i].Add(decoder.Decode(m.Message.Key, m.Message.Value)), CancellationToken.None);
        var samples = SampleSet.FromSamples(perRange.SelectMany(r => r).ToList());
        var split = samples.Split(0.1, 0.1, seed);
        return Evaluator.Evaluate(module, scaler.Transform(split.Test), Loss.CrossEntropy, ["accuracy"]);
    }

    /// <summary>The trained model of a result as a user gets it: the downloaded bundle's script built here, its weights and scaler loaded.</summary>
    internal static async Task<(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Module, FeatureScaler Scaler)> DownloadModelAsync(PortalProcessFixture portal, int resultId)
    {
        var directory = Directory.CreateTempSubdirectory("kafkaml-bundle-").FullName;
        await using (var bundle = await portal.Http.GetStreamAsync($"/api/results/{resultId}/model"))
            ZipFile.ExtractToDirectory(bundle, directory);
        var metadata = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "metadata.json")))!;
        var script = await File.ReadAllTextAsync(Path.Combine(directory, "model.csx"));

        var compilation = await new ModelScriptCompiler().CompileAsync(script);
        var definition = await ModelScriptRunner.BuildAsync(compilation, CancellationToken.None);
        ModelWeights.Load(definition.Module, Path.Combine(directory, "model.dat"));
        definition.Module.eval();
        return (definition.Module, FeatureScaler.FromJson(metadata["scaler"]!.ToJsonString()));
    }
}
