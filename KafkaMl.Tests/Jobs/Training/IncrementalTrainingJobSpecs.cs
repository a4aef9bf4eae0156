using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>
/// Incremental training through a real job and the embedded broker: a Kafka-ML online control message (bare topic,
/// total_msg null, incremental) first, the data streamed after it, trained on in windows and published as versions.
/// </summary>
[Collection(TrainingJobCollection.Name)]
public sealed class IncrementalTrainingJobSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    private static readonly IncrementalSettings Resumable = new(StreamTimeoutMs: 1000, Indefinite: true, MonitoringMetric: "loss", Improvement: 0, WindowSize: 16, EpochsPerWindow: 2);
    private static readonly IncrementalSettings TimeLimited = new(StreamTimeoutMs: 1500, Indefinite: false, WindowSize: 16, EpochsPerWindow: 2);

    [Fact]
    public async Task A_time_limited_stream_finishes_by_itself_when_quiet_with_one_version_of_every_sample_sent()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        using (var sink = OnlineSink(data, control, deployment))
        {
            foreach (var (features, label) in JobData.Blobs(40)) sink.Send(features, [label]);
            await sink.CompleteAsync();
        }
        using var reporter = new RecordingReporter(Spec(deployment, TimeLimited));
        var log = new LogLines();

        var outcome = await RunAsync(control, reporter, log, deployment, CancellationToken.None);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Equal(["deployed", "training"], reporter.Statuses.Select(s => s.Status));
        var version = Assert.Single(reporter.Versions);
        Assert.Equal(1, version.Version);
        Assert.Equal(40, version.SamplesSeen);
        Assert.NotNull(version.Scaler);
        Assert.NotNull(reporter.Result);
        Assert.IsType<TrainingResultReport>(reporter.Reports[^1]); // the result comes last, after its version
        Assert.Equal(Enumerable.Range(1, reporter.Epochs.Count), reporter.Epochs.Select(e => e.Epoch));
        Assert.Equal(40, reporter.Epochs[^1].Train[WindowedTrainingLoop.SamplesSeenMetric]);
        Assert.Contains(log.Lines, l => l.StartsWith("no message for 1500 ms", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Undecodable_messages_are_skipped_counted_and_dead_lettered_without_stopping_the_job()
    {
        var (data, control) = broker.NewTopics(dataPartitions: 1);
        var deployment = JobData.NewDeploymentId();
        using (var sink = OnlineSink(data, control, deployment))
        {
            foreach (var (features, label) in JobData.Blobs(20)) sink.Send(features, [label]);
            await sink.CompleteAsync();
        }
        var bad = Enumerable.Range(0, 3).Select(i => new Message<byte[]?, byte[]?> { Key = [0], Value = [1, 2, (byte)i] }); // 3 bytes: no float32 sample
        await broker.ProduceAsync(data, bad, partition: 0);
        await broker.SendSamples(data, 0, JobData.Blobs(20, seed: 2));
        using var reporter = new RecordingReporter(Spec(deployment, TimeLimited));
        var log = new LogLines();

        var outcome = await RunAsync(control, reporter, log, deployment, CancellationToken.None);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Equal(40, Assert.Single(reporter.Versions).SamplesSeen);
        Assert.Equal(3, reporter.Epochs[^1].Train[WindowedTrainingLoop.DeadLetteredMetric]);
        Assert.Equal(3, reporter.Result!.TrainMetrics[WindowedTrainingLoop.DeadLetteredMetric]);
        var letters = broker.ReadUntil(TopicNames.DeadLetter(data), read => read.Count >= 3);
        Assert.Equal([20L, 21, 22], letters.Select(l => long.Parse(DeadLetters.SourceOf(l.Message.Headers)!.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(letters, l => Assert.StartsWith("Not valid RAW data for this stream", DeadLetters.ErrorOf(l.Message.Headers), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Data_sent_after_the_control_message_is_trained_on_however_late_the_job_starts_and_older_data_is_not()
    {
        var (data, control) = broker.NewTopics(dataPartitions: 2);
        var deployment = JobData.NewDeploymentId();
        // Older data on the topic: samples no model of the spec can train on (label 5 of 2 classes), sent a minute ago.
        var encoder = DataFormats.CreateEncoder(RawFormat.FormatName, broker.RawConfig);
        var old = JobData.Poison(30).Select(s => encoder.Encode(s.Features, [s.Label]))
            .Select(m => new Message<byte[]?, byte[]?> { Key = m.Key, Value = m.Value, Timestamp = new Timestamp(DateTime.UtcNow.AddMinutes(-1)) });
        await broker.ProduceAsync(data, old);
        using (var sink = OnlineSink(data, control, deployment))
        {
            foreach (var (features, label) in JobData.Blobs(24)) sink.Send(features, [label]);
            await sink.CompleteAsync();
        }
        using var reporter = new RecordingReporter(Spec(deployment, TimeLimited));
        var log = new LogLines();

        var outcome = await RunAsync(control, reporter, log, deployment, CancellationToken.None); // started after everything was sent

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Equal(24, Assert.Single(reporter.Versions).SamplesSeen);
        Assert.Equal(0, reporter.Epochs[^1].Train[WindowedTrainingLoop.DeadLetteredMetric]);
    }

    [Fact]
    public async Task An_indefinite_HCOPD_stream_sent_in_three_chunks_publishes_versions_until_stopped_and_keeps_them()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var incremental = new IncrementalSettings(StreamTimeoutMs: 1000, Indefinite: true, MonitoringMetric: "loss", Change: MetricChange.Down,
            Improvement: 0.02, WindowSize: 32, EpochsPerWindow: 5);
        using var reporter = new RecordingReporter(Spec(deployment, incremental, JobData.HcopdScript));
        var log = new LogLines();
        using var stop = new CancellationTokenSource();
        var job = RunAsync(control, reporter, log, deployment, stop.Token);

        var samples = JobData.HcopdShuffled();
        using (var sink = OnlineSink(data, control, deployment, validationRate: 0.1, partition: 0))
        {
            var sent = 0;
            foreach (var chunk in samples.Chunk((samples.Count + 2) / 3))
            {
                foreach (var (features, label) in chunk) sink.Send(features, [label]);
                sent += chunk.Length;
                await Eventually.Until(() => SamplesSeen(reporter), seen => seen == sent, seen => $"{sent} samples trained on (saw {seen})\n{log}");
            }
            await sink.CompleteAsync();
        }
        await stop.CancelAsync();
        var outcome = await job;

        output.WriteLine(log.ToString());
        Assert.Equal(TrainingJobStatus.Stopped, outcome.Status);
        Assert.Null(reporter.Result);
        var versions = reporter.Versions;
        Assert.True(versions.Count >= 2, $"{versions.Count} version(s)\n{log}");
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.Version));
        Assert.True(versions.Zip(versions.Skip(1)).All(p => p.Second.TrainMetrics["loss"] <= p.First.TrainMetrics["loss"] - 0.02), "each version improves the loss by the improvement");
        Assert.All(versions, v => Assert.InRange(v.SamplesSeen, 1, samples.Count));
        Assert.Equal(samples.Count, reporter.Epochs[^1].Train[WindowedTrainingLoop.SamplesSeenMetric]);
    }

    [Fact]
    public async Task A_job_started_again_for_the_same_result_resumes_from_its_last_version_and_committed_offsets()
    {
        var deployment = JobData.NewDeploymentId();
        using var reporter = new RecordingReporter(Spec(deployment, Resumable));
        var (second, before) = await RunTwiceAsync(reporter, deployment, betweenRuns: _ => { });

        Assert.Contains(second.Lines, l => l.StartsWith($"resuming from version {before[^1].Version}: {before[^1].SamplesSeen} samples seen", StringComparison.Ordinal));
        var versions = reporter.Versions;
        Assert.Equal(Enumerable.Range(1, versions.Count), versions.Select(v => v.Version)); // none lost, none numbered twice
        Assert.Equal(before, versions.Take(before.Count));
        Assert.True(versions.Zip(versions.Skip(1)).All(p => p.Second.SamplesSeen > p.First.SamplesSeen), "samples seen grow from version to version");
        Assert.InRange(versions[^1].SamplesSeen, 1, 80);
    }

    [Fact]
    public async Task A_job_that_died_after_publishing_a_version_but_before_committing_resumes_from_the_versions_position()
    {
        // The kill landed between publishing the last version and committing its offsets: the group's offsets are
        // back at the start, but the version says where it was trained to.
        var deployment = JobData.NewDeploymentId();
        using var reporter = new RecordingReporter(Spec(deployment, Resumable));
        var (second, before) = await RunTwiceAsync(reporter, deployment, betweenRuns: data => broker.CommitOffsets(
            StreamWindowReader.GroupId(deployment), [new TopicPartitionOffset(data, 0, 0), new TopicPartitionOffset(data, 1, 0)]));

        Assert.Contains(second.Lines, l => l.StartsWith($"resuming from version {before[^1].Version}", StringComparison.Ordinal));
        Assert.All(before, v => Assert.NotEmpty(v.StreamOffsets!));
        Assert.Equal(80, SamplesSeen(reporter)); // the 40 samples of the first run are not read again
    }

    /// <summary>
    /// Trains result <paramref name="deployment"/> on 40 samples of a 2-partition online stream until stopped, does
    /// <paramref name="betweenRuns"/> (given the data topic), sends 40 more and starts the job again for the same result
    /// until 80 samples were trained on; answers the second run's log and the versions published by the first.
    /// </summary>
    private async Task<(LogLines Second, IReadOnlyList<ModelVersionReport> Before)> RunTwiceAsync(RecordingReporter reporter, int deployment, Action<string> betweenRuns)
    {
        var (data, control) = broker.NewTopics(dataPartitions: 2);
        using var sink = OnlineSink(data, control, deployment);
        var first = new LogLines();
        using (var stop = new CancellationTokenSource())
        {
            var job = RunAsync(control, reporter, first, deployment, stop.Token);
            foreach (var (features, label) in JobData.Blobs(40)) sink.Send(features, [label]);
            await Eventually.Until(() => SamplesSeen(reporter), seen => seen == 40, seen => $"40 samples trained on (saw {seen})\n{first}");
            await stop.CancelAsync(); // the job dies: nothing is committed on the way out beyond its last version
            Assert.Equal(TrainingJobStatus.Stopped, (await job).Status);
        }
        var before = reporter.Versions;
        Assert.NotEmpty(before);
        betweenRuns(data);

        foreach (var (features, label) in JobData.Blobs(40, seed: 2)) sink.Send(features, [label]);
        await sink.CompleteAsync();
        var second = new LogLines();
        using (var stop = new CancellationTokenSource())
        {
            var job = RunAsync(control, reporter, second, deployment, stop.Token);
            await Eventually.Until(() => SamplesSeen(reporter), seen => seen == 80, seen => $"80 samples trained on in all (saw {seen})\n{first}\n---\n{second}");
            await stop.CancelAsync();
            Assert.Equal(TrainingJobStatus.Stopped, (await job).Status);
        }
        output.WriteLine($"{first}\n--- started again ---\n{second}");
        return (second, before);
    }

    private static double SamplesSeen(RecordingReporter reporter) =>
        reporter.Epochs is { Count: > 0 } epochs ? epochs[^1].Train[WindowedTrainingLoop.SamplesSeenMetric] : 0;

    private static TrainingJobSpec Spec(int deployment, IncrementalSettings incremental, string code = JobData.TwoFeatureScript) =>
        JobData.Spec(deployment, code: code, batchSize: 8, resultId: deployment) with { Incremental = incremental, LearningRate = 0.05 };

    private Task<TrainingJobOutcome> RunAsync(string control, RecordingReporter reporter, IProgress<string> log, int resultId, CancellationToken cancellationToken) =>
        TrainingJob.RunAsync(JobData.Context(broker, control, resultId), reporter, log, cancellationToken).WaitAsync(Eventually.Patience);

    private RawSink OnlineSink(string data, string control, int deployment, double validationRate = 0.25, int? partition = null) => new(new KafkaSinkOptions
    {
        Partition = partition,
        BootstrapServers = broker.BootstrapServers,
        Topic = data,
        ControlTopic = control,
        DeploymentId = deployment,
        ValidationRate = validationRate,
        Online = true,
    });
}
