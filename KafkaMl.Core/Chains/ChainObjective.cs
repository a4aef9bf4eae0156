using System.Globalization;
using KafkaMl.Core.Training;
using static TorchSharp.torch;

namespace KafkaMl.Core.Chains;

/// <summary>The names of an early-exit chain's metrics beside the plain ones (which are the final exit's).</summary>
public static class ChainMetricNames
{
    /// <summary>The joint training loss Σ wᵢ · loss(exitᵢ) over every exit (the final one included).</summary>
    public const string JointLoss = "joint_loss";

    /// <summary><c>exit1_loss</c>, <c>exit2_accuracy</c>, ...: an early exit's metric (exit 1 is stage 1's).</summary>
    public static string Exit(int exit, string metric) => string.Create(CultureInfo.InvariantCulture, $"exit{exit}_{metric}");
}

/// <summary>
/// Joint training of an <see cref="EarlyExitChain"/> (<see cref="IJointObjective"/>): one forward pass through every
/// exit, loss = Σ wᵢ · loss(exitᵢ) with the chain's <see cref="EarlyExitChain.ExitWeights"/>. The final exit keeps the
/// plain metric names (<c>loss</c>, <c>accuracy</c>, ...: every chart and early stopping read them); each early exit k
/// adds <c>exit{k}_loss</c>, <c>exit{k}_accuracy</c>, ... and the epoch adds <see cref="ChainMetricNames.JointLoss"/>.
/// </summary>
internal sealed class ChainObjective(EarlyExitChain chain, Objective objective) : IJointObjective
{
    private readonly int earlyExits = chain.ExitCount - 1;
    private MetricAccumulator[] exits = Accumulators(chain, objective);
    private double jointSum;
    private long jointSamples;

    public (Tensor Output, Tensor OutputLoss, Tensor Loss) TrainBatch(Tensor input, Tensor target, SampleSet samples, long maxClass, bool first)
    {
        var size = input.shape[0];
        IReadOnlyList<Tensor> outputs;
        try
        {
            outputs = chain.ForwardExits(input);
        }
        catch (ChainShapeException e)
        {
            throw new TrainingException($"The chain cannot take samples of shape {SampleSet.Describe(samples.FeatureShape)}: {e.Message}", e);
        }

        Tensor? joint = null;
        var flat = new Tensor[outputs.Count];
        var losses = new Tensor[outputs.Count];
        for (var k = 0; k < outputs.Count; k++)
        {
            flat[k] = Objective.Flatten(outputs[k], size);
            if (first) CheckFit(k + 1, flat[k], samples, maxClass);
            losses[k] = objective.ComputeLoss(flat[k], target);
            var weighted = losses[k].mul(chain.ExitWeights[k]);
            joint = joint is null ? weighted : joint.add(weighted);
        }

        using (no_grad())
        {
            for (var k = 0; k < earlyExits; k++)
                exits[k].Add(objective.BatchStatistics(losses[k], flat[k].detach(), target).data<double>().ToArray(), size, flat[k].shape[1]);
            var value = joint!.item<float>();
            if (!float.IsFinite(value))
                throw new TrainingException(string.Create(CultureInfo.InvariantCulture,
                    $"The joint loss of the chain's exits became {value}; the learning rate may be too high or the features need standardising."));
            jointSum += value * size;
            jointSamples += size;
        }
        return (flat[^1], losses[^1], joint);
    }

    public IReadOnlyDictionary<string, double> TrainMetrics(IReadOnlyDictionary<string, double> plain)
    {
        var metrics = WithExits(plain, exits.Select(e => e.Result()));
        if (jointSamples > 0) metrics[ChainMetricNames.JointLoss] = jointSum / jointSamples;
        exits = Accumulators(chain, objective);
        (jointSum, jointSamples) = (0, 0);
        return metrics;
    }

    public IReadOnlyDictionary<string, double> ValidationMetrics(
        IReadOnlyDictionary<string, double> plain, SampleSet validation, Tensor features, Tensor targets, long maxClass, int batchSize,
        CancellationToken cancellationToken)
    {
        var early = Enumerable.Range(1, earlyExits)
            .Select(k => Evaluator.Run(chain.Exit(k), objective, validation, features, targets, maxClass, batchSize, confusion: false, cancellationToken).Metrics)
            .ToList();
        var metrics = WithExits(plain, early);
        if (plain.TryGetValue(MetricNames.Loss, out var finalLoss))
            metrics[ChainMetricNames.JointLoss] = early.Select((m, i) => chain.ExitWeights[i] * m[MetricNames.Loss]).Sum() + chain.ExitWeights[^1] * finalLoss;
        return metrics;
    }

    /// <summary>The plain (final exit's) metrics, then each early exit's under its prefixed names.</summary>
    private static Dictionary<string, double> WithExits(IReadOnlyDictionary<string, double> plain, IEnumerable<IReadOnlyDictionary<string, double>> early)
    {
        var metrics = new Dictionary<string, double>(plain, StringComparer.Ordinal);
        var k = 0;
        foreach (var exit in early)
        {
            k++;
            foreach (var (name, value) in exit) metrics[ChainMetricNames.Exit(k, name)] = value;
        }
        return metrics;
    }

    /// <summary>The objective's check that an output fits the labels, naming the exit that does not.</summary>
    private void CheckFit(int exit, Tensor output, SampleSet samples, long maxClass)
    {
        try
        {
            objective.CheckFit(output, samples, maxClass);
        }
        catch (TrainingException e)
        {
            var which = exit == chain.ExitCount ? string.Create(CultureInfo.InvariantCulture, $"the final stage (exit {exit})") : string.Create(CultureInfo.InvariantCulture, $"exit {exit}");
            throw new TrainingException($"At {which} of the chain: {e.Message}", e);
        }
    }

    private static MetricAccumulator[] Accumulators(EarlyExitChain chain, Objective objective) =>
        [.. Enumerable.Range(0, chain.ExitCount - 1).Select(_ => new MetricAccumulator(objective))];
}
