using System.Diagnostics;
using System.Globalization;
using KafkaMl.Core.Federated;
using KafkaMl.Tests.EndToEnd;

namespace KafkaMl.Tests.Federated;

/// <summary>
/// Issue 19's must-holds with real processes (<see cref="FederationFixture"/>): a federated deployment through the
/// portal trains on two sites' non-IID data (the third holds too little), beats each site's local-only model trained for
/// the same total epochs, reports the sites' count-weighted test metrics, and leaves no sample on the cloud broker; a
/// site killed mid-training is waited for until the timeout, then rejoins; a worker process killed alone is started again.
/// </summary>
[Collection(FederationCollection.Name)]
public sealed class FederatedTrainingSpecs(FederationFixture federation, ITestOutputHelper output)
{
    private const string Mlp = """new ModelDefinition(Sequential(("fc1", Linear(4, 16)), ("relu", ReLU()), ("fc2", Linear(16, 3)))) { InputShape = [4] }""";
    private const int Rounds = 5, LocalEpochs = 2;

    private PortalProcessFixture Portal => federation.Portal;

    [Fact]
    public async Task Two_sites_train_a_global_model_better_than_either_sites_own_and_the_site_below_minData_stays_out()
    {
        var deployment = await DeployAsync($"fl-{Guid.NewGuid():N}", rounds: Rounds, roundTimeoutS: 120);

        var result = await WithAgentLogsAsync(() => Portal.WaitForResultAsync(deployment.Results[0].Id, r => r.Status.IsFinal()));

        Assert.Equal(TrainingStatus.Finished, result.Status);
        var rounds = (await Portal.GetAsync<ResultMetricsResponse>($"/api/results/{result.Id}/metrics")).Epochs;
        Assert.Equal(Enumerable.Range(1, Rounds), rounds.Select(r => r.Epoch));
        Assert.All(rounds, r => Assert.Equal(2, r.Train[RoundMetrics.Sites]));
        Assert.All(rounds, r => Assert.Equal(420 + 420, r.Train[RoundMetrics.Samples])); // 70 % of each site's 600 (10 % validate, 20 % test)
        var log = await Portal.Http.GetStringAsync($"/api/results/{result.Id}/log?lines=200");
        Assert.Contains("[clinic-a, clinic-b]", log);
        Assert.DoesNotContain("clinic-c", log);
        Assert.Contains(federation.Agents[2].StdoutLines, l => l.Contains("holds 150 samples") && l.Contains($"result {result.Id} needs at least 300"));
        Assert.Contains(federation.Agents[0].StdoutLines, l => l.Contains("has samples of shape [3]") && l.Contains("takes [4]"));

        var (module, scaler) = await TrainingPipelineSpecs.DownloadModelAsync(Portal, result.Id);
        var global = Evaluator.Evaluate(module, scaler.Transform(federation.TestSet), Loss.CrossEntropy, ["accuracy"]).Metrics["accuracy"];
        var local = new double[2];
        for (var site = 0; site < 2; site++) local[site] = await LocalOnlyAccuracyAsync(federation.SiteData[site], deployment.Seed);
        output.WriteLine($"held-back test accuracy ({federation.TestSet.Count} balanced samples): federated {global:0.0000}; " +
            $"local-only ({Rounds * LocalEpochs} epochs) clinic-a {local[0]:0.0000}, clinic-b {local[1]:0.0000}");
        output.WriteLine("rounds: " + string.Join("; ", rounds.Select(r => $"{r.Epoch}: val_accuracy {r.Validation["accuracy"]:0.0000}, sites {r.Train[RoundMetrics.Sites]}, samples {r.Train[RoundMetrics.Samples]}")));
        Assert.True(global > local.Max(), $"federated {global} does not beat the best local-only model {local.Max()}");

        // The result's test metrics: each site tested the final model on its own test split; the spec splits the sites'
        // data as they do and tests the downloaded model on the same samples. Equal up to one borderline sample of the
        // 240, whose argmax may flip with the summation order of another TorchSharp thread count.
        var tested = Enumerable.Range(0, 2).Select(site => SiteTestAccuracy(module, scaler, federation.SiteData[site], deployment.Seed)).ToList();
        var expected = tested.Sum(t => t.Accuracy * t.Count) / tested.Sum(t => t.Count);
        output.WriteLine($"result test metrics: {string.Join(", ", result.TestMetrics.Select(m => $"{m.Key} {m.Value:0.0000}"))}; " +
            $"recomputed on the sites' test splits ({string.Join(" + ", tested.Select(t => t.Count))} samples): accuracy {expected:0.0000}");
        Assert.Equal(expected, result.TestMetrics["accuracy"], 1.0 / tested.Sum(t => t.Count) + 1e-9);
        Assert.True(result.TestMetrics["loss"] > 0);
        Assert.Contains("final evaluation: 2 site(s) [clinic-a: 120, clinic-b: 120] tested the final model on 240 samples", log);

        var sites = FederationDirectory.Read(Portal.BootstrapServers, null, result.Id, CancellationToken.None);
        Assert.Equal(["clinic-a", "clinic-b"], sites.Select(s => s.Site).Order(StringComparer.Ordinal));
        Assert.All(sites, s => Assert.Equal(Rounds + 1, s.Updates)); // round 0's statistics, then one update per round
        Assert.All(sites, s => Assert.Equal((Rounds, 120L), (s.LastRound, s.TestSamples)));
        output.WriteLine("sites: " + string.Join("; ", sites.Select(FederationDirectory.Describe)));

        var scan = CloudScan.Run(Portal.BootstrapServers, federation.SiteData);
        output.WriteLine(scan.Describe());
        Assert.Empty(scan.Unexplained);
        Assert.Empty(scan.SampleHits);
        Assert.Contains(FederatedTopics.Updates(result.Id), scan.Topics);
    }

    [Fact]
    public async Task A_site_killed_mid_training_is_waited_for_until_the_timeout_and_rejoins_a_later_round()
    {
        var deployment = await DeployAsync($"fl-kill-{Guid.NewGuid():N}", rounds: 8, roundTimeoutS: 8);
        var resultId = deployment.Results[0].Id;
        // Killed as soon as it starts its worker for this model: with both sites up the 8 rounds of this small model
        // take well under a second, so a kill after a round could land after the last one (it did in CI).
        await federation.Agents[1].WaitForLineAsync(l => l.Contains($"the worker of result {resultId} started", StringComparison.Ordinal), Eventually.Patience);
        int firstAlone;
        try
        {
            federation.Agents[1].Dispose(); // SIGKILL: the agent, and its worker with it
            var alone = await WithAgentLogsAsync(() => RoundsAsync(resultId, r => r.Any(e => e.Train[RoundMetrics.Sites] == 1)));
            firstAlone = alone.First(e => e.Train[RoundMetrics.Sites] == 1).Epoch;
        }
        finally
        {
            federation.Agents[1] = federation.StartAgent(1); // also when the wait failed: the next specs need both sites
        }

        var result = await WithAgentLogsAsync(() => Portal.WaitForResultAsync(resultId, r => r.Status.IsFinal()));
        var rounds = (await Portal.GetAsync<ResultMetricsResponse>($"/api/results/{resultId}/metrics")).Epochs;
        output.WriteLine("rounds: " + string.Join("; ", rounds.Select(r => $"{r.Epoch}: sites {r.Train[RoundMetrics.Sites]}")));
        Assert.Equal(TrainingStatus.Finished, result.Status);
        Assert.Equal(8, rounds.Count);
        Assert.Contains(rounds, r => r.Epoch > firstAlone && r.Train[RoundMetrics.Sites] == 2);
        var log = await Portal.Http.GetStringAsync($"/api/results/{resultId}/log?lines=300");
        Assert.Contains("timed out after 8 s with 1 of 2 site(s)", log);
    }

    [Fact]
    public async Task Each_model_is_trained_by_a_worker_process_of_the_agent_which_starts_it_again_when_it_dies()
    {
        var deployment = await DeployAsync($"fl-worker-{Guid.NewGuid():N}", rounds: 8, roundTimeoutS: 8);
        var resultId = deployment.Results[0].Id;
        var agent = federation.Agents[0];
        var started = $"the worker of result {resultId} started (pid ";
        var first = WorkerPid(await agent.WaitForLineAsync(l => l.Contains(started), Eventually.Patience), started);
        Assert.True(WorkerProcesses.IsChildOf(first, agent.Id), $"worker {first} is no child of agent {agent.Id}");
        Assert.Contains($"federated-worker --result {resultId} --assignment ", WorkerProcesses.CommandLineOf(first));

        // Killed as soon as it runs: rounds of this small model take well under a second each, so waiting for one
        // to finish could leave the kill after the last round, with no round left to show the new worker rejoining.
        var before = (await Portal.GetAsync<ResultMetricsResponse>($"/api/results/{resultId}/metrics")).Epochs;
        using (var worker = Process.GetProcessById(first)) worker.Kill(); // the worker alone: its agent lives on
        var again = WorkerPid(await agent.WaitForLineAsync(l => l.Contains(started) && WorkerPid(l, started) != first, Eventually.Patience), started);

        Assert.False(agent.HasExited);
        Assert.True(WorkerProcesses.IsChildOf(again, agent.Id), $"worker {again} is no child of agent {agent.Id}");
        Assert.Contains(agent.StdoutLines, l => l.Contains($"the worker of result {resultId} stopped unexpectedly (exit code 137"));
        var result = await WithAgentLogsAsync(() => Portal.WaitForResultAsync(resultId, r => r.Status.IsFinal()));
        var rounds = (await Portal.GetAsync<ResultMetricsResponse>($"/api/results/{resultId}/metrics")).Epochs;
        output.WriteLine($"worker {first} killed after round {before.Count}, worker {again} started; rounds: " +
            string.Join("; ", rounds.Select(r => $"{r.Epoch}: sites {r.Train[RoundMetrics.Sites]}")));
        Assert.Equal(TrainingStatus.Finished, result.Status);
        // A round begun after the kill (the one under way may hold the killed worker's update) with both sites.
        Assert.Contains(rounds, r => r.Epoch > before.Count + 1 && r.Train[RoundMetrics.Sites] == 2);
        await agent.WaitForLineAsync(l => l.Contains($"the worker of result {resultId} is done"), Eventually.Patience);
        Assert.False(WorkerProcesses.Runs(again)); // exited after its final evaluation
    }

    private static int WorkerPid(string line, string started) =>
        int.Parse(line[(line.IndexOf(started, StringComparison.Ordinal) + started.Length)..].TrimEnd(')'), CultureInfo.InvariantCulture);

    /// <summary>The final model's accuracy on one site's test split, split as the site splits its data.</summary>
    private static (double Accuracy, int Count) SiteTestAccuracy(TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> module, FeatureScaler scaler, SampleSet siteData, int seed)
    {
        var test = siteData.Split(FederationFixture.ValidationRate, FederationFixture.TestRate, seed).Test;
        return (Evaluator.Evaluate(module, scaler.Transform(test), Loss.CrossEntropy, ["accuracy"]).Metrics["accuracy"], test.Count);
    }

    /// <summary>Runs <paramref name="wait"/>; when it fails, the agents' logs go to the test output first.</summary>
    private async Task<T> WithAgentLogsAsync<T>(Func<Task<T>> wait)
    {
        try
        {
            return await wait();
        }
        catch
        {
            foreach (var agent in federation.Agents) output.WriteLine(agent.Transcript);
            throw;
        }
    }

    private Task<IReadOnlyList<EpochMetricsResponse>> RoundsAsync(int resultId, Func<IReadOnlyList<EpochMetricsResponse>, bool> done) =>
        Eventually.Until(
            async () => (await Portal.GetAsync<ResultMetricsResponse>($"/api/results/{resultId}/metrics")).Epochs, done,
            $"the rounds of result {resultId}", TimeSpan.FromMilliseconds(250));

    private async Task<DeploymentResponse> DeployAsync(string name, int rounds, int roundTimeoutS)
    {
        var model = await Portal.PostAsync<ModelResponse>("/api/models", new { name, code = Mlp });
        var configuration = await Portal.PostAsync<ConfigurationResponse>("/api/configurations", new { name, modelIds = new[] { model.Id } });
        return await Portal.PostAsync<DeploymentResponse>("/api/deployments", new
        {
            configurationId = configuration.Id, batchSize = 16, epochs = LocalEpochs, learningRate = 0.01, optimizer = "adam",
            loss = "cross_entropy", metrics = new[] { "accuracy" }, seed = 42,
            federated = true, rounds, minSites = 2, roundTimeoutS, minData = 300, dataRestriction = FederationFixture.Restriction,
        });
    }

    /// <summary>The same model trained on one site's data alone for the federated run's total epochs, tested on the held-back set.</summary>
    private async Task<double> LocalOnlyAccuracyAsync(SampleSet siteData, int seed)
    {
        var definition = await KafkaMl.Core.Scripting.ModelBuilder.BuildAsync(Mlp, null, seed, CancellationToken.None);
        using var module = definition.Module;
        var (split, scaler) = siteData.Split(FederationFixture.ValidationRate, FederationFixture.TestRate, seed).Standardize();
        var settings = new TrainingSettings { BatchSize = 16, Epochs = Rounds * LocalEpochs, LearningRate = 0.01, Seed = seed, TorchThreads = 1 };
        Trainer.Train(module, split.Train, split.Validation, settings, null, CancellationToken.None);
        return Evaluator.Evaluate(module, scaler.Transform(federation.TestSet), Loss.CrossEntropy, ["accuracy"]).Metrics["accuracy"];
    }
}
