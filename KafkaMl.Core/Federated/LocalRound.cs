using KafkaMl.Core.Training;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Federated;

/// <summary>What a site sends back after a round: its weights and the metrics of its local training.</summary>
public sealed record LocalRoundOutcome(WeightSet Weights, IReadOnlyDictionary<string, double> Train, IReadOnlyDictionary<string, double> Validation);

/// <summary>
/// One round on a site: load the global weights, train locally with the deployment's settings (FedProx adds its
/// proximal term to the loss), then, when asked, clip the update and add noise before it leaves the site.
/// </summary>
public static class LocalRound
{
    /// <summary>Trains <paramref name="model"/> from <paramref name="global"/> on the site's split; zero epochs sends the global weights back.</summary>
    public static LocalRoundOutcome Run(
        Module<Tensor, Tensor> model, WeightSet global, SampleSplit split, TrainingSettings settings, int epochs,
        double? mu, (double ClipNorm, double NoiseMultiplier, Random Random)? privacy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(global);
        ArgumentNullException.ThrowIfNull(split);
        global.LoadInto(model);
        if (epochs == 0) return new LocalRoundOutcome(global, new Dictionary<string, double>(), new Dictionary<string, double>());

        using var proximal = mu is > 0 ? new ProximalTerm(model, mu.Value) : null;
        var outcome = Trainer.Train(model, split.Train, split.Validation, settings with { Epochs = epochs, Penalty = proximal is null ? null : proximal.Of },
            progress: null, cancellationToken);
        var local = WeightSet.FromModel(model);
        if (privacy is { } p) local = UpdatePrivacy.Apply(local, global, p.ClipNorm, p.NoiseMultiplier, p.Random);
        return new LocalRoundOutcome(local, outcome.TrainMetrics, outcome.ValidationMetrics);
    }
}

/// <summary>
/// FedProx's proximal term (Li et al., 2020), <c>mu/2 · Σ ‖w − w_global‖²</c> over the trainable parameters, anchored at
/// the weights the model holds when it is created (the round's global weights).
/// </summary>
public sealed class ProximalTerm : IDisposable
{
    private readonly List<(TorchSharp.Modules.Parameter Parameter, Tensor Anchor)> _pairs;
    private readonly double _mu;

    public ProximalTerm(Module model, double mu)
    {
        _mu = mu;
        using var noGrad = no_grad();
        _pairs = [.. model.parameters().Where(p => p.requires_grad).Select(p => (p, p.detach().clone().DetachFromDisposeScope()))];
    }

    /// <summary>The term for the model's current parameters (a tensor in the caller's dispose scope).</summary>
    public Tensor Of(Module model)
    {
        Tensor? sum = null;
        foreach (var (parameter, anchor) in _pairs)
        {
            var squares = (parameter - anchor).pow(2).sum();
            sum = sum is null ? squares : sum + squares;
        }
        return (sum ?? tensor(0f)) * (_mu / 2);
    }

    public void Dispose()
    {
        foreach (var (_, anchor) in _pairs) anchor.Dispose();
    }
}
