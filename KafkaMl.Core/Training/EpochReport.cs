namespace KafkaMl.Core.Training;

/// <summary>The metrics of one finished epoch, as <see cref="Trainer"/> reports them.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="Epochs">The number of epochs asked for (training may stop earlier).</param>
/// <param name="Train">Training <c>loss</c> and metrics: sample-weighted means over the epoch's batches, in training mode (as Keras reports them).</param>
/// <param name="Validation">Validation <c>loss</c> and metrics after the epoch, in evaluation mode; empty without a validation split.</param>
/// <param name="ElapsedSeconds">Seconds since training started, at the end of this epoch.</param>
public sealed record EpochReport(
    int Epoch,
    int Epochs,
    IReadOnlyDictionary<string, double> Train,
    IReadOnlyDictionary<string, double> Validation,
    double ElapsedSeconds);

/// <summary>What <see cref="Trainer.TrainAsync"/> produced.</summary>
/// <param name="History">One report per epoch run, in order.</param>
/// <param name="TrainMetrics">The final training metrics: those of <paramref name="BestEpoch"/>.</param>
/// <param name="ValidationMetrics">The final validation metrics (of <paramref name="BestEpoch"/>); empty without a validation split.</param>
/// <param name="TrainingSeconds">Wall time of the whole training (all epochs with their validation).</param>
/// <param name="BestEpoch">
/// The epoch whose weights the model holds: the last epoch run, or — when early stopping restored
/// the best weights — the epoch with the best monitored loss.
/// </param>
/// <param name="StoppedEarly">True when early stopping ended training before the last epoch.</param>
public sealed record TrainingOutcome(
    IReadOnlyList<EpochReport> History,
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValidationMetrics,
    double TrainingSeconds,
    int BestEpoch,
    bool StoppedEarly)
{
    /// <summary>No training (yet): a model resumed from a version trained by an earlier run.</summary>
    public static readonly TrainingOutcome None = new([], new Dictionary<string, double>(), new Dictionary<string, double>(), 0, 0, false);

    /// <summary>The number of epochs run.</summary>
    public int EpochsRun => History.Count;
}
