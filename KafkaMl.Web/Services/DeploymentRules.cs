using System.Security.Cryptography;
using KafkaMl.Web.Apis;
using EngineMetrics = KafkaMl.Core.Training.MetricNames;

namespace KafkaMl.Web.Services;

/// <summary>
/// The rules a deployment's settings must meet: one place for <see cref="DeploymentService"/> (the API) and the
/// portal's deploy form, which checks them beside each field before anything is created.
/// </summary>
internal static class DeploymentRules
{
    /// <summary>The metric names a deployment may ask for besides the loss (the engines' canonical names).</summary>
    public static IReadOnlyList<string> MetricNames => EngineMetrics.Known;

    public const int MaxEpochs = 10_000;

    /// <summary>Checks every field but the configuration's existence; returns the errors and the deployment they describe.</summary>
    public static (ValidationErrors Errors, Deployment Deployment) Validate(DeploymentRequest request)
    {
        var errors = new ValidationErrors();
        var deployment = new Deployment();

        if (request.ConfigurationId is null) errors.Add("configurationId", "A configuration to deploy is required.");

        if (request.BatchSize is not { } batchSize) errors.Add("batchSize", "The batch size is required.");
        else if (batchSize < 1) errors.Add("batchSize", $"The batch size must be at least 1 ({batchSize} given).");
        else deployment.BatchSize = batchSize;

        if (request.Epochs is not { } epochs) errors.Add("epochs", "The number of epochs is required.");
        else if (epochs is < 1 or > MaxEpochs) errors.Add("epochs", $"The number of epochs must be 1 to {MaxEpochs} ({epochs} given).");
        else deployment.Epochs = epochs;

        var learningRate = request.LearningRate ?? 0.001;
        if (!double.IsFinite(learningRate) || learningRate <= 0) errors.Add("learningRate", $"The learning rate must be a number above 0 ({learningRate} given).");
        else deployment.LearningRate = learningRate;

        if (request.Optimizer is null) deployment.Optimizer = Optimizer.Adam;
        else if (EnumNames.TryParse<Optimizer>(request.Optimizer, out var optimizer)) deployment.Optimizer = optimizer;
        else errors.Add("optimizer", $"Unknown optimizer '{request.Optimizer}'; use one of {string.Join(", ", EnumNames.Names<Optimizer>())}.");

        if (request.Loss is null) deployment.Loss = Loss.CrossEntropy;
        else if (EnumNames.TryParse<Loss>(request.Loss, out var loss)) deployment.Loss = loss;
        else errors.Add("loss", $"Unknown loss '{request.Loss}'; use one of {string.Join(", ", EnumNames.Names<Loss>())}.");

        var metrics = new List<string>();
        foreach (var metric in request.Metrics ?? [])
        {
            // The engines' names and their Keras aliases (mean_squared_error, acc, ...), stored by canonical name.
            if (!EngineMetrics.IsKnown(metric)) errors.Add("metrics", $"Unknown metric '{metric}'; use any of {string.Join(", ", MetricNames)}.");
            else if (EngineMetrics.Normalize([metric!])[0] is var known && !metrics.Contains(known)) metrics.Add(known);
        }
        deployment.Metrics = metrics;
        deployment.Shuffle = request.Shuffle ?? true;

        if (request.EarlyStopping is { } earlyStopping)
        {
            if (earlyStopping.Patience is not { } patience || patience < 1)
                errors.Add("earlyStopping.patience", "Early stopping needs a patience of at least 1 epoch.");
            else deployment.EarlyStoppingPatience = patience;
            var minDelta = earlyStopping.MinDelta ?? 0;
            if (!double.IsFinite(minDelta) || minDelta < 0)
                errors.Add("earlyStopping.minDelta", $"The minimum improvement must be 0 or more ({minDelta} given).");
            else deployment.EarlyStoppingMinDelta = minDelta;
        }

        deployment.ValidationRate = Rate(request.ValidationRate, "validationRate", errors);
        deployment.TestRate = Rate(request.TestRate, "testRate", errors);
        if (deployment.ValidationRate + deployment.TestRate >= 1)
            errors.Add("testRate", "The validation and test rates together must leave samples to train on (sum below 1).");

        deployment.Seed = request.Seed ?? RandomNumberGenerator.GetInt32(int.MaxValue);
        return (errors, deployment);
    }

    private static double? Rate(double? rate, string field, ValidationErrors errors)
    {
        if (rate is not { } value) return null;
        if (double.IsFinite(value) && value is >= 0 and < 1) return value;
        errors.Add(field, $"A rate is a fraction from 0 up to (not including) 1 ({value} given).");
        return null;
    }
}
