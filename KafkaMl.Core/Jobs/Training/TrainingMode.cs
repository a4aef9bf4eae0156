using System.Globalization;
using KafkaMl.Core.Control;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>Where a run's samples come from: bounded ranges (<see cref="RangeDataSource"/>) or an open stream in windows (<see cref="StreamDataSource"/>).</summary>
public interface ITrainingDataSource
{
    /// <summary>The data as the result's page shows it (reported with the <c>training</c> status).</summary>
    TrainingDataReport Describe(TrainingRun run);

    /// <summary>
    /// The samples, in the model's input shape: a bounded source yields one set; an open stream would yield one
    /// window at a time.
    /// </summary>
    IAsyncEnumerable<SampleSet> ReadAsync(TrainingRun run, CancellationToken cancellationToken);
}

/// <summary>How a run trains on what its data source yields: epochs over one sample set today (<see cref="EpochTrainingLoop"/>).</summary>
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
public sealed record TrainingMode(string Name, ITrainingDataSource Source, ITrainingLoop Loop, ITrainingPublisher Publisher, bool Resumes = false);

/// <summary>The training modes, chosen by the control message: the one place a new mode is registered.</summary>
public static class TrainingModes
{
    /// <summary>Epochs over the bounded topic:partition:start:end ranges the control message names (an early-exit chain's exits jointly), then the weights uploaded.</summary>
    public static readonly TrainingMode Bounded = new("bounded", new RangeDataSource(), new Chains.EarlyExitTrainingLoop(new EpochTrainingLoop()), new WeightsPublisher());

    /// <summary>
    /// The mode for a control message sent to the deployment <paramref name="spec"/> belongs to. A bounded deployment
    /// takes bounded ranges only; an incremental one (<see cref="TrainingJobSpec.Incremental"/>) takes Kafka-ML's online
    /// message only: <c>incremental: true</c>, a bare topic name and no <c>total_msg</c>.
    /// </summary>
    /// <exception cref="TrainingJobException">The message is not the kind the deployment expects, or no mode trains on it yet.</exception>
    public static TrainingMode For(ControlMessage control, TrainingJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(control);
        ArgumentNullException.ThrowIfNull(spec);
        var deployment = spec.DeploymentId.ToString(CultureInfo.InvariantCulture);
        if (spec.Incremental is null)
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
