using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>The one registration that picks how a control message is trained on.</summary>
public sealed class TrainingModeSpecs
{
    [Fact]
    public void A_control_message_naming_bounded_ranges_is_trained_on_in_the_bounded_mode()
    {
        var control = ControlMessage.Parse("""{"topic": "data:0:0:10,data:1:5:10"}""");

        var mode = TrainingModes.For(control);

        Assert.Same(TrainingModes.Bounded, mode);
        Assert.IsType<RangeDataSource>(mode.Source);
        Assert.IsType<EpochTrainingLoop>(mode.Loop);
        Assert.IsType<WeightsPublisher>(mode.Publisher);
    }

    [Fact]
    public void An_incremental_control_message_has_no_training_mode_yet()
    {
        // OnlineRawSink's message: a bare topic, no ranges, no total.
        var control = ControlMessage.Parse("""{"topic": "data:0:0:10"}""") with { Topic = "mnist_online", TotalMsg = null, Incremental = true };

        var refusal = Assert.Throws<TrainingJobException>(() => TrainingModes.For(control));

        Assert.Contains("bounded topic:partition:start:end ranges only", refusal.Message, StringComparison.Ordinal);
    }
}
