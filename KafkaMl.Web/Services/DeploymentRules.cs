using System.Security.Cryptography;
using KafkaMl.Web.Apis;
using EngineMetrics = KafkaMl.Core.Training.MetricNames;

namespace KafkaMl.Web.Services;

/// <summary>
/// The rules a deployment's settings must meet: one place for <see cref="DeploymentService"/> (the API) and the
/// portal's deploy form, which checks them beside each field before anything is created.
/// </summary>
internal static partial class DeploymentRules
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

        // An incremental deployment trains per window: its epochs default to epochsPerWindow (see ValidateIncremental).
        if (request.Epochs is not { } epochs)
        {
            if (request.Incremental != true) errors.Add("epochs", "The number of epochs is required.");
        }
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

        ValidateIncremental(request, deployment, errors);
        ValidateSemiSupervised(request, deployment, errors);
        ValidateFederated(request, deployment, errors);
        deployment.Seed = request.Seed ?? RandomNumberGenerator.GetInt32(int.MaxValue);
        return (errors, deployment);
    }

    public const int MinStreamTimeoutMs = 100;
    public const int MaxStreamTimeoutMs = 86_400_000;
    public const int MaxWindowSize = 1_000_000;
    public const int MaxEpochsPerWindow = 1_000;

    /// <summary>
    /// The metrics a deployment computing <paramref name="metrics"/> can monitor: the loss and each metric, on the
    /// training share and (<c>val_</c>) on the validation share, as Keras and Kafka-ML name them.
    /// </summary>
    public static IReadOnlyList<string> MonitorableMetrics(IEnumerable<string> metrics)
    {
        string[] computed = [EngineMetrics.Loss, .. EngineMetrics.Normalize(metrics)];
        return [.. computed.SelectMany(m => new[] { IncrementalSettings.ValidationPrefix + m, m })];
    }

    /// <summary>The incremental group: checked (and defaulted) only for <c>incremental: true</c>, refused field by field otherwise.</summary>
    private static void ValidateIncremental(DeploymentRequest request, Deployment deployment, ValidationErrors errors)
    {
        if (request.Incremental != true)
        {
            (string Field, bool Given)[] group =
            [
                ("streamTimeoutMs", request.StreamTimeoutMs is not null), ("indefinite", request.Indefinite is not null),
                ("monitoringMetric", request.MonitoringMetric is not null), ("change", request.Change is not null),
                ("improvement", request.Improvement is not null), ("windowSize", request.WindowSize is not null),
                ("epochsPerWindow", request.EpochsPerWindow is not null),
            ];
            foreach (var (field, _) in group.Where(f => f.Given))
                errors.Add(field, $"'{field}' applies to incremental deployments only: set incremental to true, or leave it out.");
            return;
        }

        var timeout = request.StreamTimeoutMs ?? IncrementalSettings.DefaultStreamTimeoutMs;
        if (timeout is < MinStreamTimeoutMs or > MaxStreamTimeoutMs)
            errors.Add("streamTimeoutMs", $"The stream timeout must be {MinStreamTimeoutMs} ms to {MaxStreamTimeoutMs} ms (24 h) ({timeout} given).");
        var monitored = MonitoredMetric(request.MonitoringMetric ?? IncrementalSettings.DefaultMonitoringMetric, deployment, errors);
        var change = ChangeOf(request.Change, monitored, errors);
        var improvement = request.Improvement ?? IncrementalSettings.DefaultImprovement;
        if (!double.IsFinite(improvement) || improvement < 0)
            errors.Add("improvement", $"The improvement is the smallest change of the monitored metric that publishes a version: a number of 0 or more ({improvement} given).");
        var windowSize = request.WindowSize ?? IncrementalSettings.DefaultWindowSize;
        if (windowSize is < 1 or > MaxWindowSize)
            errors.Add("windowSize", $"The window size must be 1 to {MaxWindowSize} samples ({windowSize} given).");
        var epochsPerWindow = request.EpochsPerWindow ?? IncrementalSettings.DefaultEpochsPerWindow;
        if (epochsPerWindow is < 1 or > MaxEpochsPerWindow)
            errors.Add("epochsPerWindow", $"The epochs per window must be 1 to {MaxEpochsPerWindow} ({epochsPerWindow} given).");
        else if (request.Epochs is null) deployment.Epochs = epochsPerWindow;
        if (request.EarlyStopping is not null)
            errors.Add("earlyStopping", "Early stopping applies to bounded training; an incremental deployment publishes versions by its monitoring metric instead.");

        deployment.Incremental = new IncrementalSettings(
            timeout, request.Indefinite ?? false, monitored ?? IncrementalSettings.DefaultMonitoringMetric, change, improvement, windowSize, epochsPerWindow);
    }

    /// <summary>
    /// The semi-supervised group: checked (and defaulted) only for <c>semiSupervised: true</c>, refused field by field
    /// otherwise. Bounded and incremental deployments alike may self-train.
    /// </summary>
    private static void ValidateSemiSupervised(DeploymentRequest request, Deployment deployment, ValidationErrors errors)
    {
        if (request.SemiSupervised != true)
        {
            (string Field, bool Given)[] group = [("unsupervisedRounds", request.UnsupervisedRounds is not null), ("confidence", request.Confidence is not null)];
            foreach (var (field, _) in group.Where(f => f.Given))
                errors.Add(field, $"'{field}' applies to semi-supervised deployments only: set semiSupervised to true, or leave it out.");
            return;
        }

        var rounds = request.UnsupervisedRounds ?? SemiSupervisedSettings.DefaultUnsupervisedRounds;
        if (SemiSupervisedSettings.RoundsProblem(rounds) is { } roundsProblem) errors.Add("unsupervisedRounds", roundsProblem);
        var confidence = request.Confidence ?? SemiSupervisedSettings.DefaultConfidence;
        if (SemiSupervisedSettings.ConfidenceProblem(confidence) is { } confidenceProblem) errors.Add("confidence", confidenceProblem);
        deployment.SemiSupervised = new SemiSupervisedSettings(rounds, confidence);
    }

    /// <summary>The canonical name of a monitoring metric the deployment computes (aliases such as <c>val_acc</c> accepted); null when refused.</summary>
    private static string? MonitoredMetric(string requested, Deployment deployment, ValidationErrors errors)
    {
        var (name, onValidation) = IncrementalSettings.Split(requested.Trim());
        var metric = string.Equals(name, EngineMetrics.Loss, StringComparison.OrdinalIgnoreCase) ? EngineMetrics.Loss
            : EngineMetrics.IsKnown(name) ? EngineMetrics.Normalize([name])[0] : null;
        var choices = string.Join(", ", MonitorableMetrics(deployment.Metrics));
        if (metric is null || (metric != EngineMetrics.Loss && !deployment.Metrics.Contains(metric)))
        {
            errors.Add("monitoringMetric", metric is null
                ? $"Unknown monitoring metric '{requested}'; this deployment computes {choices}."
                : $"This deployment does not compute '{requested}' (add {metric} to its metrics); it computes {choices}.");
            return null;
        }
        if (onValidation && deployment.ValidationRate == 0)
        {
            errors.Add("monitoringMetric", $"'{requested}' is measured on the validation share, but the validation rate is 0; monitor '{metric}' or give a validation rate above 0.");
            return null;
        }
        return onValidation ? IncrementalSettings.ValidationPrefix + metric : metric;
    }

    /// <summary>The given direction, or the metric's own: accuracy improves up, the loss and the errors down.</summary>
    private static MetricChange ChangeOf(string? requested, string? monitored, ValidationErrors errors)
    {
        if (requested is null)
            return monitored is not null && IncrementalSettings.Split(monitored).Metric == EngineMetrics.Accuracy ? MetricChange.Up : MetricChange.Down;
        if (EnumNames.TryParse<MetricChange>(requested, out var change)) return change;
        errors.Add("change", $"Unknown change '{requested}'; use up (higher is better) or down (lower is better).");
        return MetricChange.Down;
    }

    private static double? Rate(double? rate, string field, ValidationErrors errors)
    {
        if (rate is not { } value) return null;
        if (double.IsFinite(value) && value is >= 0 and < 1) return value;
        errors.Add(field, $"A rate is a fraction from 0 up to (not including) 1 ({value} given).");
        return null;
    }
}
