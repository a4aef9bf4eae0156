using System.Globalization;
using KafkaMl.Core.Control;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Where a run's samples come from: bounded ranges (<see cref="RangeDataSource"/>), an open stream in windows
/// (<see cref="StreamDataSource"/>), or labelled ranges followed by unlabelled data (<see cref="SemiSupervisedDataSource"/>,
/// <see cref="SemiSupervisedStreamSource"/>).
/// </summary>
public interface ITrainingDataSource
{
    /// <summary>The data as the result's page shows it (reported with the <c>training</c> status).</summary>
    TrainingDataReport Describe(TrainingRun run);

    /// <summary>
    /// The samples, in the model's input shape: a bounded source yields one set; an open stream one window at a time;
    /// a semi-supervised source the labelled set first, then its unlabelled sets (without labels).
    /// </summary>
    IAsyncEnumerable<SampleSet> ReadAsync(TrainingRun run, CancellationToken cancellationToken);
}

/// <summary>
/// How a run trains on what its data source yields: epochs over one sample set (<see cref="EpochTrainingLoop"/>),
/// window after window (<see cref="WindowedTrainingLoop"/>), or self-training rounds (<see cref="SelfTrainingLoop"/>,
/// <see cref="SelfTrainingWindowLoop"/>).
/// </summary>
public interface ITrainingLoop
{
    /// <summary>Trains, evaluates and publishes through <paramref name="publisher"/>; returns the last result published.</summary>
    Task<TrainingResultReport> RunAsync(TrainingRun run, IAsyncEnumerable<SampleSet> data, ITrainingPublisher publisher, CancellationToken cancellationToken);
}

/// <summary>What a run does with a trained model: upload the weights with the result today (<see cref="WeightsPublisher"/>).</summary>
public interface ITrainingPublisher
{
    Task PublishAsync(TrainingRun run, TrainedModel trained, CancellationToken cancellationToken);
}

/// <summary>
/// A trained model ready to publish: its metrics, the scaler it needs and the shape of one input sample; for an
/// incremental run also the model version it becomes (<see cref="VersionPublisher"/>).
/// </summary>
public sealed record TrainedModel(TrainingResultReport Result, FeatureScaler? Scaler, IReadOnlyList<int> FeatureShape, ModelVersionReport? Version = null);

/// <summary>
/// One way of training: a data source, a training loop and a publisher. <paramref name="Resumes"/>: a job of this mode
/// that is killed and started again carries on where it was (rather than training from scratch).
/// </summary>
public sealed record TrainingMode(string Name, ITrainingDataSource Source, ITrainingLoop Loop, ITrainingPublisher Publisher, bool Resumes = false)
{
    /// <summary>Why this mode was chosen when that is not what the deployment asked for (written to the job's log); null otherwise.</summary>
    public string? Note { get; init; }
}

/// <summary>The training modes, chosen by the control message: the one place a new mode is registered.</summary>
public static class TrainingModes
{
    /// <summary>Epochs over the bounded topic:partition:start:end ranges the control message names (an early-exit chain's exits jointly), then the weights uploaded.</summary>
    public static readonly TrainingMode Bounded = new("bounded", new RangeDataSource(), new Chains.EarlyExitTrainingLoop(new EpochTrainingLoop()), new WeightsPublisher());

    /// <summary>
    /// The mode for a control message sent to the deployment <paramref name="spec"/> belongs to. A bounded deployment
    /// takes bounded ranges only; an incremental one (<see cref="TrainingJobSpec.Incremental"/>) takes Kafka-ML's online
    /// message only: <c>incremental: true</c>, a bare topic name and no <c>total_msg</c>. A semi-supervised deployment
    /// (<see cref="TrainingJobSpec.SemiSupervised"/>) self-trains when the message names an <c>unsupervised_topic</c>
    /// (<see cref="SemiSupervised"/>) and otherwise trains supervised, saying so (as Kafka-ML does); an
    /// <c>unsupervised_topic</c> sent to a supervised deployment is ignored, saying so.
    /// </summary>
    /// <exception cref="TrainingJobException">The message is not the kind the deployment expects, or no mode trains on it yet.</exception>
    public static TrainingMode For(ControlMessage control, TrainingJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(spec);
        var deployment = spec.DeploymentId.ToString(CultureInfo.InvariantCulture);
        if (spec.SemiSupervised is not null && control.UnsupervisedTopic is not null) return SemiSupervised(control, spec, deployment);
        var mode = spec.Incremental is null ? BoundedFor(control, deployment) : IncrementalFor(control, deployment);
        if (spec.SemiSupervised is not null)
            return mode with { Note = $"deployment {deployment} is semi-supervised, but the control message names no unsupervised_topic: training supervised on the labelled data only" };
        if (control.UnsupervisedTopic is { } ignored)
            return mode with { Note = $"the control message names unsupervised_topic '{ignored}', but deployment {deployment} is not semi-supervised: the unlabelled data is ignored" };
        return mode;
    }

    private static TrainingMode BoundedFor(ControlMessage control, string deployment)
    {
        if (control.Incremental)
        {
            throw new TrainingJobException(
                $"Deployment {deployment} is bounded (not incremental), so it expects a control message naming topic:partition:start:end ranges, "
                + $"but this one announces an online stream (incremental: true, topic '{control.Topic}'). Send the data as a bounded stream, "
                + "or deploy the configuration again with incremental: true.");
        }
        return Bounded;
    }

    private static TrainingMode IncrementalFor(ControlMessage control, string deployment)
    {
        if (!control.Incremental)
        {
            throw new TrainingJobException(
                $"Deployment {deployment} is incremental, so it expects an online control message (incremental: true, a bare topic name, total_msg null), "
                + $"but this one names the bounded ranges '{control.Topic}'. Send the data as an online stream (e.g. a sink with Online = true), "
                + "or deploy the configuration again without incremental.");
        }
        if (!control.IsOpenStream || control.TotalMsg is not null)
        {
            throw new TrainingJobException(
                $"Deployment {deployment} is incremental and expects an online control message with a bare topic name and total_msg null; "
                + $"this one has topic '{control.Topic}' and total_msg {(control.TotalMsg is { } total ? total.ToString(CultureInfo.InvariantCulture) : "null")}.");
        }
        return Incremental();
    }

    /// <summary>
    /// Self-training (Kafka-ML's <c>unsupervised_topic</c>). Bounded: <c>topic</c> and <c>unsupervised_topic</c> both
    /// name ranges (<see cref="SemiSupervisedDataSource"/>, <see cref="SelfTrainingLoop"/>, the weights uploaded).
    /// Incremental, as Kafka-ML's online sinks send it: <c>incremental: true</c>, the labelled part measured first
    /// (<c>topic</c> ranges, <c>total_msg</c> their count) and <c>unsupervised_topic</c> a bare topic, read in windows
    /// (<see cref="SemiSupervisedStreamSource"/>, <see cref="SelfTrainingWindowLoop"/>, versions published).
    /// </summary>
    private static TrainingMode SemiSupervised(ControlMessage control, TrainingJobSpec spec, string deployment)
    {
        var unsupervised = control.UnsupervisedTopic!;
        var openUnlabelled = !unsupervised.Contains(':');
        if (spec.Incremental is null)
        {
            BoundedFor(control, deployment);
            if (openUnlabelled)
            {
                throw new TrainingJobException(
                    $"Deployment {deployment} is bounded and semi-supervised, so it expects unsupervised_topic to name topic:partition:start:end ranges, "
                    + $"but this control message names the bare topic '{unsupervised}' (an online stream). Send the unlabelled data as a bounded stream, "
                    + "or deploy the configuration again with incremental: true.");
            }
            return new TrainingMode("semi-supervised", new SemiSupervisedDataSource(), new SelfTrainingLoop(), new WeightsPublisher());
        }

        if (!control.Incremental || control.IsOpenStream || !openUnlabelled)
        {
            throw new TrainingJobException(
                $"Deployment {deployment} is incremental and semi-supervised, so it expects Kafka-ML's online semi-supervised control message: incremental: true, "
                + "topic the ranges of the labelled data (measured first, total_msg their count) and unsupervised_topic the bare topic of the unlabelled stream; "
                + $"this one has incremental: {(control.Incremental ? "true" : "false")}, topic '{control.Topic}' and unsupervised_topic '{unsupervised}'.");
        }
        var progress = new StreamProgress();
        return new TrainingMode("semi-supervised incremental", new SemiSupervisedStreamSource(progress), new SelfTrainingWindowLoop(progress), new VersionPublisher(), Resumes: true);
    }

    /// <summary>
    /// Windows of an open stream (<see cref="StreamDataSource"/>) trained on one after the other
    /// (<see cref="WindowedTrainingLoop"/>), published as model versions (<see cref="VersionPublisher"/>). A new
    /// instance per run: its source and loop share how far the stream was read.
    /// </summary>
    public static TrainingMode Incremental()
    {
        var progress = new StreamProgress();
        return new TrainingMode("incremental", new StreamDataSource(progress), new WindowedTrainingLoop(progress), new VersionPublisher(), Resumes: true);
    }
}
