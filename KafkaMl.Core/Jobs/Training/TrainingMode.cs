using KafkaMl.Core.Control;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>Where a run's samples come from: bounded ranges today (<see cref="RangeDataSource"/>).</summary>
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

/// <summary>A trained model ready to publish: its metrics, the scaler it needs and the shape of one input sample.</summary>
public sealed record TrainedModel(TrainingResultReport Result, FeatureScaler? Scaler, IReadOnlyList<int> FeatureShape);

/// <summary>One way of training: a data source, a training loop and a publisher.</summary>
public sealed record TrainingMode(string Name, ITrainingDataSource Source, ITrainingLoop Loop, ITrainingPublisher Publisher);

/// <summary>The training modes, chosen by the control message: the one place a new mode is registered.</summary>
public static class TrainingModes
{
    /// <summary>Epochs over the bounded topic:partition:start:end ranges the control message names, then the weights uploaded.</summary>
    public static readonly TrainingMode Bounded = new("bounded", new RangeDataSource(), new EpochTrainingLoop(), new WeightsPublisher());

    /// <summary>The mode for a control message.</summary>
    /// <exception cref="TrainingJobException">No mode trains on what the control message announces.</exception>
    public static TrainingMode For(ControlMessage control)
    {
        ArgumentNullException.ThrowIfNull(control);
        if (control.IsOpenStream || control.Incremental)
            throw new TrainingJobException("The control message announces an incremental (online) stream; training jobs train on bounded topic:partition:start:end ranges only.");
        return Bounded;
    }
}
