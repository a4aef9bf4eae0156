using KafkaMl.Core.Domain;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Chains;

/// <summary>
/// A chain trained jointly on sample sets in this process, and its exit trade-off: what the training job's loop does
/// (<see cref="EarlyExitTrainingLoop"/>) without a stream or a portal — for benchmarks and tools.
/// </summary>
public static class ChainJointTraining
{
    /// <summary>Trains <paramref name="chain"/> on Σ wᵢ · loss(exitᵢ) (<see cref="EarlyExitChain.ExitWeights"/>).</summary>
    public static Task<TrainingOutcome> TrainAsync(EarlyExitChain chain, SampleSet train, SampleSet? validation, TrainingSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(settings);
        var joint = new ChainObjective(chain, new Objective(settings.Loss, settings.Metrics));
        return Trainer.TrainAsync(chain, train, validation, settings, joint, progress: null, cancellationToken);
    }

    /// <summary>
    /// Every exit's answer to every sample of <paramref name="test"/> (scaled as the chain was trained), for
    /// <see cref="ExitTradeOff.Rows"/> and <see cref="ExitTradeOff.Row"/>; null when the loss gives no class probabilities.
    /// </summary>
    public static ExitAnswers? Answer(EarlyExitChain chain, Loss loss, SampleSet test, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return ExitTradeOff.Answer(chain, new Objective(loss, [MetricNames.Accuracy]), test, cancellationToken);
    }
}
