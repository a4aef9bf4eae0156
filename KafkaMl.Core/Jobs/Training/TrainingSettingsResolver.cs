using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Which settings win: a model script that returns a <see cref="ModelDefinition"/> fixing the loss, optimizer,
/// learning rate or metrics wins over the deployment for those (the script's author knows what the network's output
/// means); batch size, epochs, shuffle, early stopping and the seed are always the deployment's. The split rates are
/// the deployment's when it sets them, else the control message's.
/// </summary>
public static class TrainingSettingsResolver
{
    /// <summary>
    /// The settings the job trains with: the deployment's, except that a script's <see cref="ModelDefinition"/>
    /// wins for the loss, optimizer, learning rate and metrics it fixes; the rates are the deployment's overrides or
    /// else the control message's. Also returns a line for each setting the script overrode.
    /// </summary>
    /// <exception cref="TrainingJobException">A setting is unknown or out of range.</exception>
    public static (TrainingSettings Settings, IReadOnlyList<string> Notes) Resolve(
        TrainingJobSpec spec, ModelDefinition? definition, double controlValidationRate, double controlTestRate, int? torchThreads)
    {
        ArgumentNullException.ThrowIfNull(spec);
        Chains.ChainTraining.CheckDeployment(spec, definition);
        var notes = new List<string>();
        var lossName = Pick(definition?.Loss, spec.Loss, "the loss");
        var optimizerName = Pick(definition?.Optimizer, spec.Optimizer, "the optimizer");
        if (!EnumNames.TryParse<Loss>(lossName, out var loss))
            throw new TrainingJobException($"Unknown loss '{lossName}'; use one of {string.Join(", ", EnumNames.Names<Loss>())}.");
        if (!EnumNames.TryParse<Optimizer>(optimizerName, out var optimizer))
            throw new TrainingJobException($"Unknown optimizer '{optimizerName}'; use one of {string.Join(", ", EnumNames.Names<Optimizer>())}.");
        var learningRate = spec.LearningRate;
        if (definition?.LearningRate is double fixedRate)
        {
            if (fixedRate != spec.LearningRate)
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"the model script fixes the learning rate to {fixedRate} (the deployment asked for {spec.LearningRate})"));
            learningRate = fixedRate;
        }
        var metrics = spec.Metrics ?? [];
        if (definition?.Metrics is { } fixedMetrics)
        {
            if (!fixedMetrics.SequenceEqual(metrics, StringComparer.OrdinalIgnoreCase))
                notes.Add($"the model script fixes the metrics to [{string.Join(", ", fixedMetrics)}] (the deployment asked for [{string.Join(", ", metrics)}])");
            metrics = fixedMetrics;
        }

        var settings = new TrainingSettings
        {
            BatchSize = spec.BatchSize,
            Epochs = spec.Epochs,
            LearningRate = learningRate,
            Optimizer = optimizer,
            Loss = loss,
            Metrics = [.. metrics],
            Shuffle = spec.Shuffle,
            Seed = spec.Seed,
            EarlyStopping = spec.EarlyStoppingPatience is int patience ? new EarlyStopping(patience, spec.EarlyStoppingMinDelta ?? 0) : null,
            ValidationRate = spec.ValidationRate ?? controlValidationRate,
            TestRate = spec.TestRate ?? controlTestRate,
            TorchThreads = torchThreads,
        };
        try
        {
            settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw new TrainingJobException($"The training settings cannot be used: {e.Message}");
        }
        return (settings, notes);

        string Pick(string? fixedByScript, string deployment, string what)
        {
            if (fixedByScript is null) return deployment;
            if (!string.Equals(fixedByScript.Trim(), deployment?.Trim(), StringComparison.OrdinalIgnoreCase))
                notes.Add($"the model script fixes {what} to {fixedByScript} (the deployment asked for {deployment})");
            return fixedByScript;
        }
    }
}
