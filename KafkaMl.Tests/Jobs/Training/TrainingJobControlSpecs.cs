using KafkaMl.Core.Jobs.Training;
using Job = KafkaMl.Core.Jobs.Training.TrainingJob;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>How a training job finds its control message on the control topic.</summary>
[Collection(TrainingJobCollection.Name)]
public sealed class TrainingJobControlSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task A_control_message_sent_before_the_job_started_is_found()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(40));
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        using var reporter = new RecordingReporter(JobData.Spec(deployment));

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Finished, outcome.Status);
        Assert.Equal(range.ToString(), reporter.Statuses.Single(s => s.Status == "training").Data!.Topic);
    }

    [Fact]
    public async Task A_control_message_sent_while_the_job_waits_is_found()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 1, JobData.Blobs(40));
        using var reporter = new RecordingReporter(JobData.Spec(deployment));
        var log = new LogLines();

        var job = Job.RunAsync(JobData.Context(broker, control), reporter, log, CancellationToken.None);
        await reporter.Deployed.WaitAsync(Eventually.Patience);
        await WaitForLine(log, "waiting for a control message");
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        var outcome = await job.WaitAsync(Eventually.Patience);

        Assert.Equal(TrainingJobStatus.Finished, outcome.Status);
        Assert.Equal(range.ToString(), reporter.Statuses.Single(s => s.Status == "training").Data!.Topic);
    }

    [Fact]
    public async Task Control_messages_for_other_deployments_and_invalid_ones_are_passed_over()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var others = await broker.SendSamples(data, 0, JobData.Poison(10));
        var mine = await broker.SendSamples(data, 1, JobData.Blobs(40));
        await broker.SendControl(control, deployment + 1, broker.ControlFor([others]));
        await broker.SendBytes(control, 0, DeploymentKey.Encode(deployment), "not json"u8.ToArray());
        await broker.SendControl(control, deployment, broker.ControlFor([mine]));
        await broker.SendControl(control, deployment, broker.ControlFor([others])); // a later stream for the same deployment
        using var reporter = new RecordingReporter(JobData.Spec(deployment));
        var log = new LogLines();

        var outcome = await JobData.RunJobAsync(broker, control, reporter, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Equal(mine.ToString(), reporter.Statuses.Single(s => s.Status == "training").Data!.Topic);
        Assert.Contains(log.Lines, line => line.Contains("passed over an invalid control message", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_job_reports_deployed_then_training_with_the_stream_it_found()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var first = await broker.SendSamples(data, 0, JobData.Blobs(30, seed: 2));
        var second = await broker.SendSamples(data, 2, JobData.Blobs(30, seed: 3));
        await broker.SendControl(control, deployment, broker.ControlFor([first, second], validationRate: 0.1, testRate: 0.3));
        using var reporter = new RecordingReporter(JobData.Spec(deployment));

        await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(["deployed", "training"], reporter.Statuses.Select(s => s.Status));
        var reported = reporter.Statuses[1].Data!;
        Assert.Equal((TopicRanges.Format([first, second]), "RAW", 60, 0.1, 0.3),
            (reported.Topic, reported.InputFormat, reported.TotalMsg, reported.ValidationRate, reported.TestRate));
        Assert.Equal("float32", reported.InputConfig["data_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stopping_the_job_while_it_waits_ends_it_as_stopped_without_reporting_a_failure()
    {
        var (_, control) = broker.NewTopics();
        using var reporter = new RecordingReporter(JobData.Spec(JobData.NewDeploymentId()));
        using var stop = new CancellationTokenSource();

        var job = Job.RunAsync(JobData.Context(broker, control), reporter, null, stop.Token);
        await reporter.Deployed.WaitAsync(Eventually.Patience);
        await stop.CancelAsync();
        var outcome = await job.WaitAsync(Eventually.Patience);

        Assert.Equal(TrainingJobStatus.Stopped, outcome.Status);
        Assert.DoesNotContain(reporter.Statuses, s => s.Status == "failed");
    }

    internal static Task WaitForLine(LogLines log, string text) =>
        Eventually.Until(() => log.Lines.Any(line => line.Contains(text, StringComparison.Ordinal)), $"the job to log '{text}'");
}
