using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Components.Pages.Deployments;

/// <summary>What the deploy form starts with and offers.</summary>
public static class DeploymentForm
{
    /// <summary>
    /// Settings that train the HCOPD template well (Adam 0.01, batch 10, 50 epochs reach ~0.92 test accuracy; see the
    /// README) and suit small tabular models generally.
    /// </summary>
    public static readonly DeploymentRequest Defaults = new(
        ConfigurationId: null, BatchSize: 10, Epochs: 50, LearningRate: 0.01, Optimizer: "adam", Loss: "cross_entropy",
        Metrics: [KafkaMl.Core.Training.MetricNames.Accuracy], Shuffle: true);

    public static IReadOnlyList<string> MetricNames => DeploymentRules.MetricNames;

    /// <summary>What an incremental deployment computing <paramref name="metrics"/> can monitor (<c>val_loss</c> first).</summary>
    public static IReadOnlyList<string> MonitorableMetrics(IEnumerable<string> metrics) => DeploymentRules.MonitorableMetrics(metrics);
}
