using KafkaMl.Core.Domain;

namespace KafkaMl.Core.Training;

/// <summary>
/// Stop training when the monitored loss has not improved for <paramref name="Patience"/> epochs.
/// </summary>
/// <param name="Patience">Epochs without improvement after which training stops (at least 1).</param>
/// <param name="MinDelta">A loss counts as an improvement only when it is below the best so far by more than this.</param>
/// <param name="RestoreBestWeights">
/// At the end of training, put back the weights of the epoch with the best monitored loss (when a later
/// epoch was worse); the outcome's final metrics are then that epoch's.
/// </param>
/// <remarks>
/// The monitored loss is the validation loss; when there is no validation split it is the training loss.
/// </remarks>
public sealed record EarlyStopping(int Patience, double MinDelta = 0, bool RestoreBestWeights = true);

/// <summary>How a model is trained: the settings of a deployment plus the seed and the split rates.</summary>
/// <remarks>
/// The rates are not used by <see cref="Trainer"/> (it receives the splits); they travel with the
/// settings so the training job splits with <see cref="SampleSet.Split"/> as the deployment asked.
/// </remarks>
public sealed record TrainingSettings
{
    public int BatchSize { get; init; } = 32;

    public int Epochs { get; init; } = 10;

    public double LearningRate { get; init; } = 1e-3;

    public Optimizer Optimizer { get; init; } = Optimizer.Adam;

    public Loss Loss { get; init; } = Loss.CrossEntropy;

    /// <summary>Metric names besides the loss (see <see cref="MetricNames"/>: <c>accuracy</c>, <c>mse</c>, <c>mae</c>).</summary>
    public IReadOnlyList<string> Metrics { get; init; } = [MetricNames.Accuracy];

    /// <summary>Reshuffle the training samples every epoch (seeded by <see cref="Seed"/>).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seeds TorchSharp (<c>torch.manual_seed</c>: dropout), the epoch shuffles and the split.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Null: train all <see cref="Epochs"/>.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>Share of the samples held out for validation after every epoch, in [0, 1).</summary>
    public double ValidationRate { get; init; } = 0.1;

    /// <summary>Share of the samples held out for the final test, in [0, 1).</summary>
    public double TestRate { get; init; } = 0.1;

    /// <summary>
    /// Intra-op threads for TorchSharp (<c>torch.set_num_threads</c>, process-wide), set when training
    /// starts; null leaves TorchSharp's default (one per core). Small models (an MLP on a few features)
    /// train fastest with 1: more threads only add synchronisation, and on a busy machine spinning
    /// threads slowed the HCOPD model down more than tenfold.
    /// </summary>
    public int? TorchThreads { get; init; }

    /// <summary>A term added to every batch's loss (FedProx's proximal term); null: the objective's loss alone.</summary>
    public Func<TorchSharp.torch.nn.Module, TorchSharp.torch.Tensor>? Penalty { get; init; }

    /// <summary>The settings a deployment asks for; the rates are the deployment's overrides or else the control message's.</summary>
    public static TrainingSettings From(Deployment deployment, double validationRate, double testRate, int seed = 42) => new()
    {
        BatchSize = deployment.BatchSize,
        Epochs = deployment.Epochs,
        LearningRate = deployment.LearningRate,
        Optimizer = deployment.Optimizer,
        Loss = deployment.Loss,
        Metrics = [.. deployment.Metrics],
        Shuffle = deployment.Shuffle,
        Seed = seed,
        EarlyStopping = deployment.EarlyStoppingPatience is int patience
            ? new EarlyStopping(patience, deployment.EarlyStoppingMinDelta ?? 0)
            : null,
        ValidationRate = deployment.ValidationRate ?? validationRate,
        TestRate = deployment.TestRate ?? testRate,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentException($"The batch size must be at least 1 (was {BatchSize}).");
        if (Epochs < 1) throw new ArgumentException($"The number of epochs must be at least 1 (was {Epochs}).");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"The learning rate must be a positive number (was {LearningRate}).");
        if (!Enum.IsDefined(Optimizer)) throw new ArgumentException($"Unknown optimizer {Optimizer}.");
        if (!Enum.IsDefined(Loss)) throw new ArgumentException($"Unknown loss {Loss}.");
        MetricNames.Normalize(Metrics);
        if (EarlyStopping is { } early)
        {
            if (early.Patience < 1) throw new ArgumentException($"The early-stopping patience must be at least 1 epoch (was {early.Patience}).");
            if (!(early.MinDelta >= 0)) throw new ArgumentException($"The early-stopping minimum delta must be 0 or more (was {early.MinDelta}).");
        }
        if (TorchThreads < 1) throw new ArgumentException($"TorchSharp needs at least 1 thread (was {TorchThreads}).");
        SampleSet.ValidateRates(ValidationRate, TestRate);
    }
}
