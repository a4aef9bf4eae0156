using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>
/// A semi-supervised deployment's job through the embedded broker when the data is not what it hopes for: bad
/// unlabelled messages, unlabelled samples of another shape, no unlabelled data at all, a loss without classes; and
/// a supervised deployment that is sent unlabelled data.
/// </summary>
[Collection(TrainingJobCollection.Name)]
public sealed class SemiSupervisedTrainingJobSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task Unlabelled_messages_that_do_not_decode_are_counted_skipped_and_dead_lettered_without_stopping_the_job()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var labelled = await broker.SendSamples(data, 0, JobData.Blobs(40));
        var unlabelledTopic = data + "-unlabelled";
        var first = await SemiSupervisedData.SendUnlabelled(broker, unlabelledTopic, 0, JobData.Blobs(20, seed: 2).Select(s => s.Features));
        var bad = Enumerable.Range(0, 3).Select(i => new Message<byte[]?, byte[]?> { Key = SemiSupervisedData.DummyKey, Value = [1, 2, (byte)i] }); // 3 bytes: no float32 sample
        await SemiSupervisedData.SendRaw(broker, unlabelledTopic, 0, bad);
        var last = await SemiSupervisedData.SendUnlabelled(broker, unlabelledTopic, 0, JobData.Blobs(20, seed: 3).Select(s => s.Features));
        await broker.SendControl(control, deployment, SemiSupervisedData.Control(broker, [labelled], [first with { End = last.End }], 0.2, 0.2));
        using var reporter = new RecordingReporter(SemiSupervisedData.Spec(deployment, epochs: 5));
        var log = new LogLines();

        var outcome = await SemiSupervisedData.RunAsync(broker, control, reporter, deployment, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Equal(40, reporter.Rounds[0].PoolLeft); // the 43 messages less the 3 that did not decode
        Assert.Contains($"3 unlabelled messages could not be decoded: skipped (copies went to {TopicNames.DeadLetter(unlabelledTopic)})", log.Lines);
        var letters = broker.ReadUntil(TopicNames.DeadLetter(unlabelledTopic), read => read.Count >= 3);
        Assert.Equal([$"{unlabelledTopic}:0:20", $"{unlabelledTopic}:0:21", $"{unlabelledTopic}:0:22"], letters.Select(l => DeadLetters.SourceOf(l.Message.Headers)));
        Assert.All(letters, l => Assert.StartsWith("Not valid RAW data for this stream", DeadLetters.ErrorOf(l.Message.Headers), StringComparison.Ordinal));
        Assert.NotNull(reporter.Result);
    }

    [Fact]
    public async Task Unlabelled_samples_of_another_shape_than_the_labelled_ones_fail_the_result_naming_both_shapes()
    {
        var sent = await SemiSupervisedData.SendAsync(broker, JobData.Blobs(20), Enumerable.Range(0, 10).Select(i => new[] { i, 1f, 2f }));
        using var reporter = new RecordingReporter(SemiSupervisedData.Spec(sent.Deployment));

        var outcome = await SemiSupervisedData.RunAsync(broker, sent.Control, reporter, sent.Deployment, null);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Equal(["deployed", "training", "failed"], reporter.Statuses.Select(s => s.Status));
        Assert.StartsWith($"The labelled samples of topic '{sent.Labelled}' have shape [2] (2 values), but the unlabelled samples of unsupervised_topic '{sent.Unlabelled}' have shape [3] (3 values).",
            reporter.Statuses[^1].Error, StringComparison.Ordinal);
        Assert.Empty(reporter.Epochs);
    }

    [Fact]
    public async Task A_semi_supervised_deployment_sent_no_unsupervised_topic_trains_supervised_and_says_so()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        await broker.SendControl(control, deployment, broker.ControlFor([await broker.SendSamples(data, 0, JobData.Blobs(30))]));
        using var reporter = new RecordingReporter(SemiSupervisedData.Spec(deployment, epochs: 3));
        var log = new LogLines();

        var outcome = await SemiSupervisedData.RunAsync(broker, control, reporter, deployment, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Contains($"deployment {deployment} is semi-supervised, but the control message names no unsupervised_topic: training supervised on the labelled data only", log.Lines);
        Assert.Empty(reporter.Rounds);
        Assert.Equal(3, reporter.Epochs.Count);
        Assert.NotNull(reporter.Result);
    }

    [Fact]
    public async Task A_supervised_deployment_sent_an_unsupervised_topic_trains_on_the_labelled_data_and_says_the_rest_is_ignored()
    {
        var sent = await SemiSupervisedData.SendAsync(broker, JobData.Blobs(30), JobData.Blobs(10).Select(s => s.Features));
        using var reporter = new RecordingReporter(JobData.Spec(sent.Deployment, resultId: sent.Deployment));
        var log = new LogLines();

        var outcome = await SemiSupervisedData.RunAsync(broker, sent.Control, reporter, sent.Deployment, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        Assert.Contains($"the control message names unsupervised_topic '{sent.Unlabelled}', but deployment {sent.Deployment} is not semi-supervised: the unlabelled data is ignored", log.Lines);
        Assert.Empty(reporter.Rounds);
        Assert.NotNull(reporter.Result);
    }

    [Fact]
    public async Task A_regression_loss_is_refused_because_self_training_needs_class_probabilities()
    {
        var sent = await SemiSupervisedData.SendAsync(broker, JobData.Blobs(20), JobData.Blobs(10).Select(s => s.Features));
        using var reporter = new RecordingReporter(SemiSupervisedData.Spec(sent.Deployment, code: """Sequential(("fc", Linear(2, 1)))""") with { Loss = "mse", Metrics = ["mae"] });

        var outcome = await SemiSupervisedData.RunAsync(broker, sent.Control, reporter, sent.Deployment, null);

        Assert.Equal(TrainingJobStatus.Failed, outcome.Status);
        Assert.Equal("Self-training needs class probabilities to pick confident pseudo-labels, but the loss mse is a regression; semi-supervised training takes cross_entropy or binary_cross_entropy.",
            reporter.Statuses[^1].Error);
        Assert.Empty(reporter.Epochs);
    }

    [Fact]
    public async Task A_binary_classifier_with_one_output_self_trains_with_labels_of_the_labelled_layout()
    {
        var sent = await SemiSupervisedData.SendAsync(broker, JobData.Blobs(40), JobData.Blobs(60, seed: 5).Select(s => s.Features));
        var spec = SemiSupervisedData.Spec(sent.Deployment, epochs: 20, code: """Sequential(("fc1", Linear(2, 4)), ("relu", ReLU()), ("fc2", Linear(4, 1)))""") with { Loss = "binary_cross_entropy" };
        using var reporter = new RecordingReporter(spec);
        var log = new LogLines();

        var outcome = await SemiSupervisedData.RunAsync(broker, sent.Control, reporter, sent.Deployment, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        var round = reporter.Rounds[1];
        Assert.Equal(60, round.Added + round.PoolLeft);
        Assert.True(round.Added > 0, log.ToString());
        Assert.Subset(new HashSet<string> { "0", "1" }, round.ClassCounts.Keys.ToHashSet());
        Assert.Equal(2, reporter.Result!.ConfusionMatrix!.Length);
    }
}
