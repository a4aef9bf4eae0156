using System.Diagnostics;
using KafkaMl.Core.Domain;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Training;

/// <summary>
/// Trains a TorchSharp model on samples already in memory: mini-batches sliced from tensors built
/// once, every step inside its own dispose scope, validation after every epoch, early stopping on
/// the validation loss.
/// </summary>
/// <remarks>
/// <para>Reproducibility: training calls <c>torch.manual_seed(Seed)</c> (dropout) and shuffles with a
/// generator seeded by <c>Seed</c>; the initial weights are drawn when the model is built, so seed
/// TorchSharp (<see cref="SeedTorch"/>) before building it too.</para>
/// <para>Optimizers use TorchSharp's (= PyTorch's) defaults except AdamW's weight decay, 0.01 as in
/// PyTorch (TorchSharp's own default is 0).</para>
/// <para>The whole loop runs on one thread (dispose scopes and <c>no_grad</c> are per thread).
/// <see cref="IProgress{T}"/> is called on that thread, synchronously, once per epoch.</para>
/// </remarks>
public static class Trainer
{
    /// <summary>Weight decay given to AdamW (PyTorch's default).</summary>
    public const double AdamWWeightDecay = 0.01;

    /// <summary>Seeds TorchSharp's global generator; call before building a model for reproducible initial weights.</summary>
    public static void SeedTorch(int seed) => manual_seed(seed);

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> for <see cref="TrainingSettings.Epochs"/>
    /// epochs (fewer with early stopping), validating on <paramref name="validation"/> (null or empty:
    /// no validation) after each epoch and reporting every epoch through <paramref name="progress"/>.
    /// Cancellation is honoured between batches (<see cref="OperationCanceledException"/>). The model is
    /// left in <c>eval()</c> mode holding the weights of <see cref="TrainingOutcome.BestEpoch"/>.
    /// </summary>
    /// <exception cref="TrainingException">The samples do not fit the model, or the loss became NaN.</exception>
    public static Task<TrainingOutcome> TrainAsync(
        Module<Tensor, Tensor> model,
        SampleSet train,
        SampleSet? validation,
        TrainingSettings settings,
        IProgress<EpochReport>? progress,
        CancellationToken cancellationToken)
    {
        CheckArguments(model, train, settings);
        return Task.Run(() => Train(model, train, validation, settings, progress, cancellationToken), cancellationToken);
    }

    /// <summary><see cref="TrainAsync(Module{Tensor, Tensor}, SampleSet, SampleSet?, TrainingSettings, IProgress{EpochReport}?, CancellationToken)"/> minimising <paramref name="joint"/>'s loss.</summary>
    internal static Task<TrainingOutcome> TrainAsync(
        Module<Tensor, Tensor> model, SampleSet train, SampleSet? validation, TrainingSettings settings, IJointObjective joint,
        IProgress<EpochReport>? progress, CancellationToken cancellationToken)
    {
        CheckArguments(model, train, settings);
        ArgumentNullException.ThrowIfNull(joint);
        return Task.Run(() => Train(model, train, validation, settings, progress, cancellationToken, joint), cancellationToken);
    }

    /// <summary>Checked before the async version goes to the thread pool, so bad arguments throw at the call.</summary>
    private static void CheckArguments(Module<Tensor, Tensor> model, SampleSet train, TrainingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
    }

    /// <summary>The synchronous body of <see cref="TrainAsync"/>, run on the calling thread.</summary>
    public static TrainingOutcome Train(
        Module<Tensor, Tensor> model,
        SampleSet train,
        SampleSet? validation,
        TrainingSettings settings,
        IProgress<EpochReport>? progress,
        CancellationToken cancellationToken) =>
        Train(model, train, validation, settings, progress, cancellationToken, joint: null);

    private static TrainingOutcome Train(
        Module<Tensor, Tensor> model,
        SampleSet train,
        SampleSet? validation,
        TrainingSettings settings,
        IProgress<EpochReport>? progress,
        CancellationToken cancellationToken,
        IJointObjective? joint)
    {
        CheckArguments(model, train, settings);
        if (train.Count == 0) throw new TrainingException("There are no training samples.");
        if (validation is { Count: 0 }) validation = null;
        if (validation is not null && !validation.FeatureShape.SequenceEqual(train.FeatureShape))
            throw new TrainingException($"The validation samples have shape {SampleSet.Describe(validation.FeatureShape)}, the training samples {SampleSet.Describe(train.FeatureShape)}.");
        cancellationToken.ThrowIfCancellationRequested();

        var stopwatch = Stopwatch.StartNew();
        if (settings.TorchThreads is int threads && get_num_threads() != threads) set_num_threads(threads);
        manual_seed(settings.Seed);
        var objective = new Objective(settings.Loss, settings.Metrics);
        var parameters = model.parameters().Where(p => p.requires_grad).ToList();
        if (parameters.Count == 0) throw new TrainingException("The model has no trainable parameters.");

        using var features = train.FeaturesTensor().DetachFromDisposeScope();
        var (targets, maxClass) = objective.Targets(train);
        using var ownedTargets = targets;
        using var validationFeatures = validation?.FeaturesTensor().DetachFromDisposeScope();
        var (validationTargets, validationMaxClass) = validation is null ? (null, -1) : objective.Targets(validation);
        using var ownedValidationTargets = validationTargets;
        using var optimizer = CreateOptimizer(parameters, settings);
        using var generator = new Generator((ulong)settings.Seed);

        var history = new List<EpochReport>(settings.Epochs);
        var early = settings.EarlyStopping;
        var best = double.PositiveInfinity;
        var bestEpoch = 0;
        var epochsWithoutImprovement = 0;
        var stoppedEarly = false;
        Dictionary<string, Tensor>? bestWeights = null;
        try
        {
            for (var epoch = 1; epoch <= settings.Epochs; epoch++)
            {
                var trainMetrics = RunEpoch(model, objective, joint, optimizer, generator, train, features, targets, maxClass, settings, epoch, cancellationToken);
                if (joint is not null) trainMetrics = joint.TrainMetrics(trainMetrics);
                IReadOnlyDictionary<string, double> validationMetrics = new Dictionary<string, double>();
                if (validation is not null)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    validationMetrics = Evaluator.Run(model, objective, validation, validationFeatures!, validationTargets!,
                        validationMaxClass, Math.Max(settings.BatchSize, Evaluator.DefaultBatchSize), confusion: false, cancellationToken).Metrics;
                    if (joint is not null)
                        validationMetrics = joint.ValidationMetrics(validationMetrics, validation, validationFeatures!, validationTargets!,
                            validationMaxClass, Math.Max(settings.BatchSize, Evaluator.DefaultBatchSize), cancellationToken);
                }
                var report = new EpochReport(epoch, settings.Epochs, trainMetrics, validationMetrics, stopwatch.Elapsed.TotalSeconds);
                history.Add(report);
                progress?.Report(report);

                var monitored = (validation is null ? trainMetrics : validationMetrics)[MetricNames.Loss];
                if (early is null)
                {
                    bestEpoch = epoch;
                    continue;
                }
                if (monitored < best - early.MinDelta)
                {
                    best = monitored;
                    bestEpoch = epoch;
                    epochsWithoutImprovement = 0;
                    if (early.RestoreBestWeights && epoch < settings.Epochs) Snapshot(model, ref bestWeights);
                }
                else if (++epochsWithoutImprovement >= early.Patience)
                {
                    stoppedEarly = epoch < settings.Epochs;
                    break;
                }
            }

            if (early is not null && !early.RestoreBestWeights) bestEpoch = history.Count;
            if (bestEpoch != history.Count)
            {
                if (bestWeights is null) bestEpoch = history.Count;
                else Restore(model, bestWeights);
            }
        }
        finally
        {
            if (bestWeights is not null)
                foreach (var tensor in bestWeights.Values) tensor.Dispose();
        }
        model.eval();
        stopwatch.Stop();
        var final = history[bestEpoch - 1];
        return new TrainingOutcome(history, final.Train, final.Validation, stopwatch.Elapsed.TotalSeconds, bestEpoch, stoppedEarly);
    }

    private static IReadOnlyDictionary<string, double> RunEpoch(
        Module<Tensor, Tensor> model,
        Objective objective,
        IJointObjective? joint,
        optim.Optimizer optimizer,
        Generator generator,
        SampleSet train,
        Tensor features,
        Tensor targets,
        long maxClass,
        TrainingSettings settings,
        int epoch,
        CancellationToken cancellationToken)
    {
        model.train();
        var accumulator = new MetricAccumulator(objective);
        var n = train.Count;
        using var epochScope = NewDisposeScope();
        var (x, y) = (features, targets);
        if (settings.Shuffle)
        {
            var order = randperm(n, generator: generator);
            x = features.index_select(0, order);
            y = targets.index_select(0, order);
        }
        var batch = 0;
        for (var start = 0; start < n; start += settings.BatchSize, batch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var size = Math.Min(settings.BatchSize, n - start);
            var xb = x.narrow(0, start, size);
            var yb = y.narrow(0, start, size);
            optimizer.zero_grad();
            Tensor output, loss, minimised;
            if (joint is null)
            {
                output = Objective.Flatten(Forward(model, xb, train), size);
                if (epoch == 1 && start == 0) objective.CheckFit(output, train, maxClass);
                loss = minimised = objective.ComputeLoss(output, yb);
            }
            else
            {
                (output, loss, minimised) = joint.TrainBatch(xb, yb, train, maxClass, first: epoch == 1 && start == 0);
            }
            // A penalty (FedProx's proximal term) is minimised but not reported: the loss metric stays the objective's.
            if (settings.Penalty is { } penalty) minimised = minimised + penalty(model);
            minimised.backward();
            optimizer.step();
            double[] statistics;
            if (objective.Metrics.Count == 0)
            {
                statistics = [loss.item<float>()];
            }
            else
            {
                using var noGrad = no_grad();
                statistics = objective.BatchStatistics(loss, output.detach(), yb).data<double>().ToArray();
            }
            var value = accumulator.Add(statistics, size, output.shape[1]);
            if (!double.IsFinite(value))
                throw new TrainingException($"The training loss became {value} at epoch {epoch}, batch {batch + 1}; the learning rate ({settings.LearningRate}) may be too high or the features need standardising.");
        }
        return accumulator.Result();
    }

    /// <summary>Runs the model, turning a shape mismatch into a message that names the samples' shape.</summary>
    internal static Tensor Forward(Module<Tensor, Tensor> model, Tensor input, SampleSet samples)
    {
        try
        {
            return model.forward(input);
        }
        catch (Exception e) when (e is not (OperationCanceledException or TrainingException or OutOfMemoryException))
        {
            throw new TrainingException(
                $"The model cannot take samples of shape {SampleSet.Describe(samples.FeatureShape)} (a batch of shape {SampleSet.Describe(input.shape)}): {FirstLine(e.Message)}", e);
        }
    }

    internal static optim.Optimizer CreateOptimizer(IEnumerable<TorchSharp.Modules.Parameter> parameters, TrainingSettings settings) => settings.Optimizer switch
    {
        Optimizer.Sgd => optim.SGD(parameters, settings.LearningRate),
        Optimizer.Adam => optim.Adam(parameters, settings.LearningRate),
        Optimizer.AdamW => optim.AdamW(parameters, settings.LearningRate, weight_decay: AdamWWeightDecay),
        Optimizer.RmsProp => optim.RMSProp(parameters, settings.LearningRate),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Optimizer, "Unknown optimizer."),
    };

    private static void Snapshot(Module<Tensor, Tensor> model, ref Dictionary<string, Tensor>? snapshot)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in model.state_dict())
        {
            if (snapshot is not null && snapshot.TryGetValue(name, out var kept))
            {
                kept.copy_(tensor);
            }
            else
            {
                snapshot ??= new Dictionary<string, Tensor>(StringComparer.Ordinal);
                snapshot[name] = tensor.detach().clone().DetachFromDisposeScope();
            }
        }
    }

    private static void Restore(Module<Tensor, Tensor> model, Dictionary<string, Tensor> snapshot)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, tensor) in model.state_dict())
            if (snapshot.TryGetValue(name, out var kept)) tensor.copy_(kept);
    }

    private static string FirstLine(string message)
    {
        var line = message.AsSpan().Trim();
        var end = line.IndexOfAny('\n', '\r');
        return (end < 0 ? line : line[..end]).ToString();
    }
}
