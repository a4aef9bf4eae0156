using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>How <see cref="TrainingModes.For"/> picks self-training: by the deployment's semi-supervised settings and the control message's <c>unsupervised_topic</c>.</summary>
public sealed class SemiSupervisedModeSpecs
{
    private static readonly TrainingJobSpec Supervised = JobData.Spec(deploymentId: 5);
    private static readonly TrainingJobSpec Bounded = Supervised with { SemiSupervised = new SemiSupervisedSettings() };
    private static readonly TrainingJobSpec Incremental = Bounded with { Incremental = new IncrementalSettings() };

    /// <summary>Kafka-ML's online semi-supervised message: the labelled part measured first (ranges, total_msg), the unlabelled stream a bare topic.</summary>
    private static ControlMessage AnOnlineSemiSupervisedMessage() => ControlMessage.Parse(
        """{"topic": "labelled:0:0:10", "total_msg": 10, "unsupervised_topic": "unlabelled", "incremental": true, "validation_rate": 0.1, "test_rate": 0.1}""");

    [Fact]
    public void Bounded_ranges_with_unsupervised_ranges_self_train_over_the_pool_and_upload_the_weights()
    {
        var control = ControlMessage.Parse("""{"topic": "labelled:0:0:10", "unsupervised_topic": "unlabelled:0:0:90"}""");

        var mode = TrainingModes.For(control, Bounded);

        Assert.Equal("semi-supervised", mode.Name);
        Assert.IsType<SemiSupervisedDataSource>(mode.Source);
        Assert.IsType<SelfTrainingLoop>(mode.Loop);
        Assert.IsType<WeightsPublisher>(mode.Publisher);
        Assert.Null(mode.Note);
    }

    [Fact]
    public void A_bare_unsupervised_topic_for_a_bounded_deployment_is_refused_saying_ranges_were_expected()
    {
        var control = ControlMessage.Parse("""{"topic": "labelled:0:0:10", "unsupervised_topic": "unlabelled"}""");

        var refusal = Assert.Throws<TrainingJobException>(() => TrainingModes.For(control, Bounded));

        Assert.StartsWith("Deployment 5 is bounded and semi-supervised, so it expects unsupervised_topic to name topic:partition:start:end ranges, but this control message names the bare topic 'unlabelled'",
            refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kafka_ml_online_semi_supervised_message_for_an_incremental_deployment_trains_window_by_window_and_publishes_versions()
    {
        var mode = TrainingModes.For(AnOnlineSemiSupervisedMessage(), Incremental);

        Assert.Equal("semi-supervised incremental", mode.Name);
        Assert.IsType<SemiSupervisedStreamSource>(mode.Source);
        Assert.IsType<SelfTrainingWindowLoop>(mode.Loop);
        Assert.IsType<VersionPublisher>(mode.Publisher);
    }

    [Fact]
    public void An_online_semi_supervised_message_is_refused_by_a_bounded_deployment()
    {
        var refusal = Assert.Throws<TrainingJobException>(() => TrainingModes.For(AnOnlineSemiSupervisedMessage(), Bounded));

        Assert.StartsWith("Deployment 5 is bounded (not incremental)", refusal.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"topic": "labelled", "unsupervised_topic": "unlabelled", "incremental": true}""")]
    [InlineData("""{"topic": "labelled:0:0:10", "unsupervised_topic": "unlabelled:0:0:90", "incremental": true}""")]
    [InlineData("""{"topic": "labelled:0:0:10", "unsupervised_topic": "unlabelled"}""")]
    public void An_incremental_semi_supervised_deployment_refuses_any_other_message_naming_what_it_expects(string json)
    {
        var refusal = Assert.Throws<TrainingJobException>(() => TrainingModes.For(ControlMessage.Parse(json), Incremental));

        Assert.StartsWith("Deployment 5 is incremental and semi-supervised, so it expects Kafka-ML's online semi-supervised control message: incremental: true, "
            + "topic the ranges of the labelled data (measured first, total_msg their count) and unsupervised_topic the bare topic of the unlabelled stream;",
            refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_semi_supervised_deployment_without_an_unsupervised_topic_trains_in_the_usual_mode_with_a_note()
    {
        var mode = TrainingModes.For(ControlMessage.Parse("""{"topic": "labelled:0:0:10"}"""), Bounded);

        Assert.Equal("bounded", mode.Name);
        Assert.Equal("deployment 5 is semi-supervised, but the control message names no unsupervised_topic: training supervised on the labelled data only", mode.Note);
    }

    [Fact]
    public void A_supervised_deployment_with_an_unsupervised_topic_trains_in_the_usual_mode_with_a_note()
    {
        var mode = TrainingModes.For(ControlMessage.Parse("""{"topic": "labelled:0:0:10", "unsupervised_topic": "unlabelled:0:0:90"}"""), Supervised);

        Assert.Same(TrainingModes.Bounded.Loop, mode.Loop);
        Assert.Equal("the control message names unsupervised_topic 'unlabelled:0:0:90', but deployment 5 is not semi-supervised: the unlabelled data is ignored", mode.Note);
    }
}
