using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>
/// Incremental semi-supervised training through a real job and the embedded broker, as Kafka-ML's online sinks send
/// it: the labelled part measured first (ranges, total_msg), then the unlabelled stream on a bare unsupervised_topic,
/// one pseudo-labelling step per window, published as versions by the incremental rule.
/// </summary>
[Collection(TrainingJobCollection.Name)]
public sealed class IncrementalSemiSupervisedSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    [Fact]
    public async Task A_time_limited_unlabelled_stream_is_self_trained_on_window_by_window_and_published_when_quiet()
    {
        var incremental = new IncrementalSettings(StreamTimeoutMs: 1500, Indefinite: false, WindowSize: 16, EpochsPerWindow: 2);
        var (reporter, log, outcome, unlabelled) = await RunAsync(incremental, stop: null);
        using var _ = reporter;

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        var rounds = reporter.Rounds;
        Assert.Null(rounds[0].Window);
        Assert.Equal(0, rounds[0].Round);
        var windows = rounds.Skip(1).ToList();
        Assert.NotEmpty(windows);
        Assert.All(windows, r => Assert.Equal(r.Round, r.Window));
        Assert.Equal(Enumerable.Range(1, windows.Count), windows.Select(r => r.Window!.Value));
        Assert.Equal(unlabelled.Count, windows.Sum(r => r.Added + r.PoolLeft)); // every unlabelled sample was in one window
        Assert.Contains(windows, r => r.Added > 0);
        var version = Assert.Single(reporter.Versions);
        Assert.Equal(1, version.Version);
        Assert.Equal(unlabelled.Count, version.SamplesSeen);
        Assert.IsType<TrainingResultReport>(reporter.Reports[^1]);
        Assert.Equal(rounds[^1].TestMetrics, reporter.Result!.TestMetrics);
        Assert.Equal(Enumerable.Range(1, reporter.Epochs.Count), reporter.Epochs.Select(e => e.Epoch));
    }

    [Fact]
    public async Task An_indefinite_run_publishes_round_0_as_version_1_then_versions_as_windows_improve_until_stopped()
    {
        var incremental = new IncrementalSettings(StreamTimeoutMs: 1000, Indefinite: true, MonitoringMetric: "loss", Change: MetricChange.Down,
            Improvement: 0, WindowSize: 16, EpochsPerWindow: 2);
        var (reporter, log, outcome, unlabelled) = await RunAsync(incremental, stop: r => r.Rounds.Skip(1).Sum(w => w.Added + w.PoolLeft) == 48);
        using var _ = reporter;

        Assert.Equal(TrainingJobStatus.Stopped, outcome.Status);
        Assert.Null(reporter.Result);
        var versions = reporter.Versions;
        Assert.NotEmpty(versions);
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.Version));
        var reports = reporter.Reports;
        var firstVersion = reports.ToList().FindIndex(r => r is ModelVersionReport);
        Assert.True(firstVersion < reports.ToList().FindIndex(r => r is SelfTrainingRoundReport { Round: 1 }), $"round 0 is version 1\n{log}");
        Assert.Equal(0, versions[0].SamplesSeen);
        Assert.All(reporter.Rounds.Skip(1), r => Assert.NotNull(r.Window));
        Assert.Equal(48, unlabelled.Count);
    }

    [Fact]
    public async Task A_job_started_again_resumes_from_its_last_version_without_training_round_0_again_or_reading_a_window_twice()
    {
        var incremental = new IncrementalSettings(StreamTimeoutMs: 1000, Indefinite: true, MonitoringMetric: "loss", Change: MetricChange.Down,
            Improvement: 0, WindowSize: 16, EpochsPerWindow: 2);
        var (reporter, first, _, unlabelled) = await RunAsync(incremental, stop: r => WindowSamples(r.Rounds) == 48);
        using var _ = reporter;
        var from = (await reporter.GetLatestVersionAsync(CancellationToken.None))!; // what the job started again reads
        var trainedTo = (int)from.TrainMetrics[SelfTrainingWindowLoop.WindowMetric];
        var (roundsBefore, epochsBefore, versionsBefore) = (reporter.Rounds.Count, reporter.Epochs.Count, reporter.Versions.Count);

        // 32 more unlabelled samples, then the job of the same result starts again (as the runner does after a kill).
        foreach (var chunk in JobData.Blobs(32, seed: 11).Select(s => s.Features).Chunk(16))
            await SemiSupervisedData.SendUnlabelled(broker, unlabelled.Topic, 0, chunk);
        var second = new LogLines();
        using (var stop = new CancellationTokenSource())
        {
            var job = SemiSupervisedData.RunAsync(broker, unlabelled.Control, reporter, unlabelled.Deployment, second, stop.Token);
            // What the version had not read yet, and nothing it had: the windows after its position.
            await Eventually.Until(() => WindowSamples(reporter.Rounds.Skip(roundsBefore)) == 80 - from.SamplesSeen,
                $"the {80 - from.SamplesSeen} unlabelled samples after version {from.Version} to be trained on\n{first}\n--- started again ---\n{second}");
            await stop.CancelAsync();
            Assert.Equal(TrainingJobStatus.Stopped, (await job).Status);
        }
        output.WriteLine($"{first}\n--- started again ---\n{second}");

        Assert.Contains(second.Lines, l => l.StartsWith($"resuming from version {from.Version}", StringComparison.Ordinal));
        Assert.Single(reporter.Rounds, r => r.Round == 0); // round 0 was trained by the first run only
        var resumed = reporter.Rounds.Skip(roundsBefore).ToList();
        Assert.Equal(Enumerable.Range(trainedTo + 1, resumed.Count), resumed.Select(r => r.Window!.Value));
        Assert.Equal(from.Window + 1, reporter.Epochs[epochsBefore].Epoch); // epochs numbered on after those before the version
        Assert.All(reporter.Versions.Skip(versionsBefore).Select((v, i) => (v, i)), p => Assert.Equal(from.Version + 1 + p.i, p.v.Version));
    }

    /// <summary>The unlabelled samples the windows among <paramref name="rounds"/> held (round 0 holds none).</summary>
    private static long WindowSamples(IEnumerable<SelfTrainingRoundReport> rounds) => rounds.Where(r => r.Window is not null).Sum(r => r.Added + r.PoolLeft);

    /// <summary>
    /// Sends 40 labelled blobs as ranges, Kafka-ML's online semi-supervised control message, then 48 unlabelled blobs
    /// (dummy keys) in three batches to the bare unsupervised topic; runs the job and stops it once
    /// <paramref name="stop"/> holds (null: lets it end by itself).
    /// </summary>
    private async Task<(RecordingReporter Reporter, LogLines Log, TrainingJobOutcome Outcome, UnlabelledStream Unlabelled)> RunAsync(
        IncrementalSettings incremental, Func<RecordingReporter, bool>? stop)
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var labelled = await broker.SendSamples(data, 0, JobData.Blobs(40));
        var unlabelledTopic = data + "-unlabelled";
        var message = broker.ControlFor([labelled], 0.2, 0.2) with { Incremental = true, UnsupervisedTopic = unlabelledTopic };
        await broker.SendControl(control, deployment, message);
        var unlabelled = JobData.Blobs(48, seed: 9).Select(s => s.Features).ToList();
        foreach (var chunk in unlabelled.Chunk(16)) await SemiSupervisedData.SendUnlabelled(broker, unlabelledTopic, 0, chunk);
        var reporter = new RecordingReporter(SemiSupervisedData.Spec(deployment, epochs: 20) with { Incremental = incremental });
        var log = new LogLines();
        using var cancel = new CancellationTokenSource();
        var job = SemiSupervisedData.RunAsync(broker, control, reporter, deployment, log, cancel.Token);
        if (stop is not null)
        {
            await Eventually.Until(() => stop(reporter), $"the unlabelled windows to be trained on\n{log}");
            await cancel.CancelAsync();
        }
        return (reporter, log, await job, new UnlabelledStream(unlabelledTopic, control, deployment, unlabelled.Count));
    }

    /// <summary>The unsupervised topic of a run, its control topic and deployment, and the unlabelled samples sent to it.</summary>
    private sealed record UnlabelledStream(string Topic, string Control, int Deployment, int Count);
}
