using KafkaMl.Core.Jobs.Training;
using Job = KafkaMl.Core.Jobs.Training.TrainingJob;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>What a training job does when it cannot train: report <c>failed</c> with a reason a user can act on.</summary>
[Collection(TrainingJobCollection.Name)]
public sealed class TrainingJobFailureSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task A_script_that_does_not_compile_fails_the_result_with_the_line_and_column()
    {
        var (_, control) = broker.NewTopics();
        const string Broken = "var hidden = 4\nSequential((\"fc1\", Linear(2, hidden)))";
        using var reporter = new RecordingReporter(JobData.Spec(JobData.NewDeploymentId(), code: Broken));

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        var failed = Assert.Single(reporter.Statuses);
        Assert.Equal("failed", failed.Status);
        Assert.Contains("does not compile", failed.Error, StringComparison.Ordinal);
        Assert.Contains("1:15: error CS1002", failed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_script_that_throws_while_building_fails_the_result_with_its_message()
    {
        var (_, control) = broker.NewTopics();
        using var reporter = new RecordingReporter(JobData.Spec(JobData.NewDeploymentId(), code: "Linear(2, -3)"));

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Contains("threw while building the model", reporter.Statuses.Single().Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_that_cannot_work_fail_the_result_before_it_waits_for_data()
    {
        var (_, control) = broker.NewTopics();
        using var reporter = new RecordingReporter(JobData.Spec(JobData.NewDeploymentId()) with { Optimizer = "adagrad" });

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        var failed = Assert.Single(reporter.Statuses);
        Assert.Equal("Unknown optimizer 'adagrad'; use one of sgd, adam, adamw, rmsprop.", failed.Error);
    }

    [Fact]
    public async Task A_message_that_does_not_decode_fails_the_result_naming_its_topic_partition_and_offset()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var good = await broker.SendSamples(data, 2, JobData.Blobs(10));
        var badOffset = await broker.SendBytes(data, 2, BitConverter.GetBytes(1f), new byte[7]); // 7 bytes are no float32 array
        await broker.SendSamples(data, 2, JobData.Blobs(5));
        await broker.SendControl(control, deployment, broker.ControlFor([good with { End = badOffset + 6 }]));
        using var reporter = new RecordingReporter(JobData.Spec(deployment));

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Equal(["deployed", "training", "failed"], reporter.Statuses.Select(s => s.Status));
        Assert.Contains($"offset {badOffset} of topic {data} partition 2", reporter.Statuses[^1].Error, StringComparison.Ordinal);
        Assert.Empty(reporter.Epochs);
    }

    [Fact]
    public async Task Samples_reshaped_to_the_wrong_size_fail_the_result_naming_the_message()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(10));
        var reshaped = InputConfig.From(new RawFormatConfig(DataReshape: "3").ToJson()); // 2 floats per message cannot be 3
        await broker.SendControl(control, deployment, broker.ControlFor([range]) with { InputConfig = reshaped });
        using var reporter = new RecordingReporter(JobData.Spec(deployment));

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Contains($"offset {range.Start} of topic {data} partition 0", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Samples_that_do_not_fit_the_model_fail_the_result_naming_both_shapes()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(20));
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        using var reporter = new RecordingReporter(JobData.Spec(deployment, code: JobData.HcopdScript)); // 3 inputs, the stream has 2

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Contains("samples of shape [2]", reporter.Statuses[^1].Error, StringComparison.Ordinal);
        Assert.Contains("3x4", reporter.Statuses[^1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_declared_input_shape_of_another_size_fails_the_result_naming_both_shapes()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(20));
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        const string Script = """new ModelDefinition(Sequential(("fc1", Linear(3, 2)))) { InputShape = [3] }""";
        using var reporter = new RecordingReporter(JobData.Spec(deployment, code: Script));

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Contains("samples have shape [2] (2 values), but the model takes inputs of shape [3] (3 values)", outcome.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Samples_are_reshaped_to_a_declared_input_shape_of_the_same_size()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(20));
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        const string Script = """new ModelDefinition(Sequential(("flat", Flatten()), ("fc1", Linear(2, 2)))) { InputShape = [1, 2] }""";
        using var reporter = new RecordingReporter(JobData.Spec(deployment, code: Script));
        var log = new LogLines();

        var outcome = await JobData.RunJobAsync(broker, control, reporter, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Contains("samples of shape [2] reshaped to the model's input shape [1, 2]", log.Lines);
    }

    [Fact]
    public async Task Ranges_beyond_the_data_fail_the_result_clearly_within_the_configured_wait()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 3, JobData.Blobs(10));
        await broker.SendControl(control, deployment, broker.ControlFor([range with { End = range.End + 20 }]));
        using var reporter = new RecordingReporter(JobData.Spec(deployment));

        var outcome = await Job.RunAsync(JobData.Context(broker, control, missingDataTimeout: TimeSpan.FromSeconds(2)), reporter, null, CancellationToken.None)
            .WaitAsync(Eventually.Patience);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Contains($"topic {data} partition 3 ends at offset {range.End}", reporter.Statuses[^1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_result_the_portal_closed_stops_the_job_without_reporting_a_failure()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(40));
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        using var reporter = new RecordingReporter(JobData.Spec(deployment, epochs: 50))
        {
            Refuse = report => report is EpochReportDto { Epoch: 2 } ? new TrainingResultClosedException("result 7 was stopped") : null,
        };

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal((TrainingJobStatus.Stopped, "result 7 was stopped"), (outcome.Status, outcome.Error));
        Assert.DoesNotContain(reporter.Statuses, s => s.Status == "failed");
        Assert.Null(reporter.Result);
        Assert.True(reporter.Epochs.Count < 50);
    }

    [Fact]
    public async Task A_409_from_the_portal_stops_the_job_while_it_waits_for_data()
    {
        var (_, control) = broker.NewTopics();
        await using var portal = await FakePortal.StartAsync();
        portal.Spec = JobData.Spec(JobData.NewDeploymentId());
        portal.Answer = request => request.Path.EndsWith("/status", StringComparison.Ordinal) ? 409 : null;
        await using var client = new PortalClient(portal.Url, portal.Spec.ResultId, "token");

        var outcome = await JobData.RunJobAsync(broker, control, client);

        Assert.Equal(TrainingJobStatus.Stopped, outcome.Status);
        Assert.Contains("409", outcome.Error, StringComparison.Ordinal);
        Assert.Single(portal.Requests, r => r.Method == "POST"); // 'deployed', refused; no 'failed' after it
    }

    [Fact]
    public void Settings_a_model_script_fixes_win_over_the_deployment()
    {
        var spec = JobData.Spec(1) with { Loss = "cross_entropy", Optimizer = "adam", LearningRate = 0.05, Metrics = ["accuracy"], ValidationRate = 0.3 };
        using var linear = TorchSharp.torch.nn.Linear(2, 1);
        var definition = new Core.Scripting.ModelDefinition(linear)
        {
            Loss = "mse", Optimizer = "sgd", LearningRate = 0.2, Metrics = ["mae"],
        };

        var (settings, notes) = Job.ResolveSettings(spec, definition, controlValidationRate: 0.1, controlTestRate: 0.15, torchThreads: 1);

        Assert.Equal((Core.Domain.Loss.Mse, Core.Domain.Optimizer.Sgd, 0.2, "mae"), (settings.Loss, settings.Optimizer, settings.LearningRate, settings.Metrics.Single()));
        Assert.Equal((8, 3, 42), (settings.BatchSize, settings.Epochs, settings.Seed));
        Assert.Equal((0.3, 0.15), (settings.ValidationRate, settings.TestRate)); // the deployment's override, else the control message's
        Assert.Equal(4, notes.Count);
    }
}
