using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>
/// A control message of the wrong kind for its deployment, through a real job and broker: the result fails with a
/// message saying which kind was expected, and nothing is trained.
/// </summary>
[Collection(TrainingJobCollection.Name)]
public sealed class TrainingModeMismatchSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task A_kafka_ml_online_control_message_fails_a_bounded_deployments_result_saying_ranges_were_expected()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        await broker.SendSamples(data, 0, JobData.Blobs(10));
        var online = broker.ControlFor([new TopicRange(data, 0, 0, 10)]) with { Topic = data, TotalMsg = null, Incremental = true };
        await broker.SendControl(control, deployment, online);
        using var reporter = new RecordingReporter(JobData.Spec(deployment));

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Equal(["deployed", "failed"], reporter.Statuses.Select(s => s.Status));
        Assert.Contains($"is bounded (not incremental), so it expects a control message naming topic:partition:start:end ranges, but this one announces an online stream (incremental: true, topic '{data}')",
            reporter.Statuses[^1].Error, StringComparison.Ordinal);
        Assert.Empty(reporter.Epochs);
    }

    [Fact]
    public async Task A_bounded_control_message_fails_an_incremental_deployments_result_saying_an_online_one_was_expected()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, JobData.Blobs(10));
        await broker.SendControl(control, deployment, broker.ControlFor([range]));
        using var reporter = new RecordingReporter(JobData.Spec(deployment) with { Incremental = new IncrementalSettings() });

        var outcome = await JobData.RunJobAsync(broker, control, reporter);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Equal(["deployed", "failed"], reporter.Statuses.Select(s => s.Status));
        Assert.Contains("is incremental, so it expects an online control message (incremental: true, a bare topic name, total_msg null)", reporter.Statuses[^1].Error, StringComparison.Ordinal);
        Assert.Empty(reporter.Epochs);
    }
}
