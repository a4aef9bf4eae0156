namespace KafkaMl.Tests.EndToEnd;

/// <summary>
/// Incremental training as a user drives it, all real: the portal process, its broker, the local runner's <c>train</c>
/// child process, an online sink streaming HCOPD, a SIGKILL in the middle, and stop.
/// </summary>
[Collection(PortalProcessCollection.Name)]
public sealed partial class IncrementalPipelineSpecs(PortalProcessFixture portal, ITestOutputHelper output)
{
    [LinuxFact]
    public async Task An_indefinite_run_killed_with_SIGKILL_is_restarted_and_resumes_so_every_sample_sent_is_seen_once_and_no_version_is_lost()
    {
        var deployment = await DeployAsync($"incremental-{Guid.NewGuid():N}", windowSize: 32, improvement: 0.0);
        var resultId = deployment.Results[0].Id;
        var rows = ShuffledHcopdRows();
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = portal.BootstrapServers,
            ControlTopic = portal.ControlTopic,
            Topic = $"e2e-online-{Guid.NewGuid():N}",
            DeploymentId = deployment.Id,
            ValidationRate = 0.1,
            Partition = 0,
            Online = true,
        });

        foreach (var (features, label) in rows.Take(96)) sink.Send(features, [label]);
        await Eventually.Until(async () => await SamplesSeenAsync(resultId), seen => seen == 96, seen => $"96 samples trained on (saw {seen})");
        var before = await VersionsAsync(resultId);
        Assert.NotEmpty(before);
        var pidFile = Path.Combine(portal.DataDir, "jobs", JobSpec.TrainingName(resultId), "replica-0.pid");
        var pid = int.Parse(File.ReadAllText(pidFile).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        using (var job = System.Diagnostics.Process.GetProcessById(pid)) job.Kill();

        foreach (var (features, label) in rows.Skip(96)) sink.Send(features, [label]);
        await sink.CompleteAsync();
        await Eventually.Until(async () => await SamplesSeenAsync(resultId), seen => seen == rows.Count, seen => $"{rows.Count} samples trained on in all (saw {seen})");
        var pidAfter = int.Parse(File.ReadAllText(pidFile).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        (await portal.Http.PostAsync($"/api/results/{resultId}/stop", null)).EnsureSuccessStatusCode();
        var result = await portal.WaitForResultAsync(resultId, r => r.Status.IsFinal());

        Assert.NotEqual(pid, pidAfter); // the runner started the job again
        Assert.Equal(TrainingStatus.Stopped, result.Status);
        var versions = await VersionsAsync(resultId);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.Version));
        Assert.Equal(before, versions.Take(before.Count));
        Assert.True(versions.Zip(versions.Skip(1)).All(p => p.Second.SamplesSeen > p.First.SamplesSeen), "samples seen grow from version to version");
        Assert.All(versions, v => Assert.InRange(v.SamplesSeen, 1, rows.Count));
    }

    /// <summary>HCOPD's rows in a fixed shuffled order: the file is sorted by diagnosis; a live stream is not.</summary>
    private static List<(float[] Features, float Label)> ShuffledHcopdRows()
    {
        var random = new Random(3);
        return [.. TrainingPipelineSpecs.HcopdRows().OrderBy(_ => random.Next())];
    }

    private async Task<double> SamplesSeenAsync(int resultId)
    {
        var metrics = await portal.GetAsync<ResultMetricsResponse>($"/api/results/{resultId}/metrics");
        Assert.False(metrics.Status is TrainingStatus.Failed, "the result failed");
        return metrics.Epochs.Count == 0 ? 0 : metrics.Epochs.MaxBy(e => e.Epoch)!.Train["samples_seen"];
    }

    private async Task<List<(int Version, long SamplesSeen)>> VersionsAsync(int resultId) =>
        [.. (await portal.GetAsync<JsonElement>($"/api/results/{resultId}/versions")).EnumerateArray()
            .Select(v => (v.GetProperty("version").GetInt32(), v.GetProperty("samplesSeen").GetInt64()))];

    private async Task<DeploymentResponse> DeployAsync(string name, int windowSize, double improvement)
    {
        var model = await portal.PostAsync<ModelResponse>("/api/models", new { name = $"{name}-model", code = TrainingPipelineSpecs.HcopdMlp });
        var configuration = await portal.PostAsync<ConfigurationResponse>("/api/configurations", new { name, modelIds = new[] { model.Id } });
        return await portal.PostAsync<DeploymentResponse>("/api/deployments", new
        {
            configurationId = configuration.Id,
            batchSize = 8,
            learningRate = 0.05,
            optimizer = "adam",
            loss = "cross_entropy",
            metrics = new[] { "accuracy" },
            seed = 42,
            incremental = true,
            indefinite = true,
            monitoringMetric = "loss",
            change = "down",
            improvement,
            windowSize,
            epochsPerWindow = 3,
        });
    }
}
