using KafkaMl.Core.Domain;

namespace KafkaMl.Core.Federated;

/// <summary>One site's contribution to a round: its trained weights and how many samples it trained on.</summary>
public sealed record WeightedWeights(WeightSet Weights, long Samples);

/// <summary>Turns a round's global weights and the sites' updates into the next global weights.</summary>
public interface IAggregator
{
    /// <summary>The next global weights; <paramref name="updates"/> all match <paramref name="global"/>'s names and shapes.</summary>
    WeightSet Aggregate(WeightSet global, IReadOnlyList<WeightedWeights> updates);
}

/// <summary>The aggregator a deployment's settings ask for.</summary>
public static class Aggregators
{
    public static IAggregator For(FederatedSettings settings) => settings.Aggregation switch
    {
        // FedProx differs from FedAvg on the sites (the proximal term), not on the server.
        Aggregation.FedAvg or Aggregation.FedProx => new FedAvg(),
        Aggregation.FedAdam => new FedAdam(settings.ServerLearningRate ?? FederatedSettings.DefaultServerLearningRate),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Aggregation, "Unknown aggregation."),
    };
}

/// <summary>
/// FedAvg (McMahan et al., 2017): every floating value becomes <c>Σ nᵢ·wᵢ / Σ nᵢ</c>, nᵢ the samples site i trained on.
/// Integer buffers keep the global value.
/// </summary>
public sealed class FedAvg : IAggregator
{
    public WeightSet Aggregate(WeightSet global, IReadOnlyList<WeightedWeights> updates)
    {
        ArgumentNullException.ThrowIfNull(global);
        if (updates.Count == 0) throw new ArgumentException("A round needs at least one update to aggregate.", nameof(updates));
        var total = updates.Sum(u => u.Samples);
        if (total <= 0) throw new ArgumentException("The updates hold no samples to weight them by.", nameof(updates));
        return global.Map(tensor =>
        {
            if (!tensor.IsFloating) return tensor.Values;
            var sum = new double[tensor.Values.Length];
            foreach (var update in updates)
            {
                var values = update.Weights.ByName[tensor.Name].Values;
                for (var i = 0; i < sum.Length; i++) sum[i] += update.Samples * values[i];
            }
            for (var i = 0; i < sum.Length; i++) sum[i] /= total;
            return sum;
        });
    }
}

/// <summary>
/// FedAdam (Reddi et al., "Adaptive Federated Optimization", 2021): the FedAvg mean's difference from the global weights
/// is a pseudo-gradient an Adam optimizer on the server applies: <c>m ← β₁m + (1−β₁)Δ, v ← β₂v + (1−β₂)Δ²,
/// w ← w + η·m / (√v + τ)</c>, with β₁ 0.9, β₂ 0.99, τ 1e-3 as in the paper.
/// </summary>
/// <remarks>The moments persist across rounds; <see cref="State"/> and <see cref="Restore"/> carry them over a restart.</remarks>
public sealed class FedAdam(double learningRate) : IAggregator
{
    public const double Beta1 = 0.9, Beta2 = 0.99, Tau = 1e-3;

    private readonly FedAvg _mean = new();
    private Dictionary<string, (double[] M, double[] V)> _moments = new(StringComparer.Ordinal);

    public double LearningRate { get; } = learningRate;

    public WeightSet Aggregate(WeightSet global, IReadOnlyList<WeightedWeights> updates)
    {
        var mean = _mean.Aggregate(global, updates);
        return global.Map(tensor =>
        {
            if (!tensor.IsFloating) return tensor.Values;
            var target = mean.ByName[tensor.Name].Values;
            if (!_moments.TryGetValue(tensor.Name, out var moments))
                _moments[tensor.Name] = moments = (new double[target.Length], new double[target.Length]);
            var next = new double[target.Length];
            for (var i = 0; i < next.Length; i++)
            {
                var delta = target[i] - tensor.Values[i];
                moments.M[i] = Beta1 * moments.M[i] + (1 - Beta1) * delta;
                moments.V[i] = Beta2 * moments.V[i] + (1 - Beta2) * delta * delta;
                next[i] = tensor.Values[i] + LearningRate * moments.M[i] / (Math.Sqrt(moments.V[i]) + Tau);
            }
            return next;
        });
    }

    /// <summary>The moments as weight sets shaped like <paramref name="global"/> (zeros before the first round).</summary>
    public (WeightSet M, WeightSet V) State(WeightSet global) => (
        global.Map(t => _moments.TryGetValue(t.Name, out var m) ? m.M : new double[t.Values.Length]),
        global.Map(t => _moments.TryGetValue(t.Name, out var m) ? m.V : new double[t.Values.Length]));

    /// <summary>Goes on from moments <see cref="State"/> gave.</summary>
    public void Restore(WeightSet m, WeightSet v) =>
        _moments = m.Tensors.ToDictionary(t => t.Name, t => (t.Values.ToArray(), v.ByName[t.Name].Values.ToArray()), StringComparer.Ordinal);
}
