using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>The one registration that picks how a control message is trained on, by the message and the deployment's kind.</summary>
public sealed class TrainingModeSpecs
{
    private static readonly TrainingJobSpec BoundedDeployment = JobData.Spec(deploymentId: 5);
    private static readonly TrainingJobSpec IncrementalDeployment = BoundedDeployment with { Incremental = new IncrementalSettings() };

    /// <summary>Kafka-ML's OnlineRawSink message: a bare topic, no total, incremental.</summary>
    private static ControlMessage AnOnlineMessage() => ControlMessage.Parse(
        """{"topic": "sensors", "input_format": "RAW", "validation_rate": 0.1, "test_rate": 0, "total_msg": null, "incremental": true}""");

    [Fact]
    public void A_control_message_naming_bounded_ranges_is_trained_on_in_the_bounded_mode()
    {
        var control = ControlMessage.Parse("""{"topic": "data:0:0:10,data:1:5:10"}""");

        var mode = TrainingModes.For(control, BoundedDeployment);

        Assert.Same(TrainingModes.Bounded, mode);
        Assert.IsType<RangeDataSource>(mode.Source);
        Assert.IsType<Core.Chains.EarlyExitTrainingLoop>(mode.Loop); // an EpochTrainingLoop for any model but an early-exit chain
        Assert.IsType<WeightsPublisher>(mode.Publisher);
    }

    [Fact]
    public void An_online_message_for_a_bounded_deployment_is_refused_saying_a_bounded_one_was_expected()
    {
        var refusal = Assert.Throws<TrainingJobException>(() => TrainingModes.For(AnOnlineMessage(), BoundedDeployment));

        Assert.StartsWith("Deployment 5 is bounded (not incremental), so it expects a control message naming topic:partition:start:end ranges, "
            + "but this one announces an online stream (incremental: true, topic 'sensors').", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bounded_message_for_an_incremental_deployment_is_refused_saying_an_online_one_was_expected()
    {
        var control = ControlMessage.Parse("""{"topic": "data:0:0:10"}""");

        var refusal = Assert.Throws<TrainingJobException>(() => TrainingModes.For(control, IncrementalDeployment));

        Assert.StartsWith("Deployment 5 is incremental, so it expects an online control message (incremental: true, a bare topic name, total_msg null), "
            + "but this one names the bounded ranges 'data:0:0:10'.", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_incremental_message_with_ranges_is_refused_for_an_incremental_deployment()
    {
        var control = ControlMessage.Parse("""{"topic": "data:0:0:10", "incremental": true}""");

        var refusal = Assert.Throws<TrainingJobException>(() => TrainingModes.For(control, IncrementalDeployment));

        Assert.Contains("expects an online control message with a bare topic name and total_msg null; this one has topic 'data:0:0:10'", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_online_message_for_an_incremental_deployment_is_trained_on_in_windows_and_published_as_versions()
    {
        var mode = TrainingModes.For(AnOnlineMessage(), IncrementalDeployment);

        Assert.Equal("incremental", mode.Name);
        Assert.IsType<StreamDataSource>(mode.Source);
        Assert.IsType<WindowedTrainingLoop>(mode.Loop);
        Assert.IsType<VersionPublisher>(mode.Publisher);
    }
}
