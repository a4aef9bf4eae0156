namespace KafkaMl.Core.Domain;

/// <summary>
/// How an incremental deployment trains on an open stream (Kafka-ML's incremental settings plus KafkaMl's windows):
/// read in windows of <see cref="WindowSize"/> samples, train each for <see cref="EpochsPerWindow"/> epochs; a
/// time-limited run publishes and ends when no message came for <see cref="StreamTimeoutMs"/>; an
/// <see cref="Indefinite"/> run publishes a new version whenever <see cref="MonitoringMetric"/> improves on the
/// reference by at least <see cref="Improvement"/> in the direction of <see cref="Change"/>.
/// </summary>
/// <param name="MonitoringMetric">A metric the deployment computes: <c>loss</c>, a deployment metric, or either with the
/// <c>val_</c> prefix for its value on the window's validation share (e.g. <c>val_accuracy</c>).</param>
/// <param name="Improvement">The smallest change of the monitored metric (in its own units) that publishes a version.</param>
public sealed record IncrementalSettings(
    int StreamTimeoutMs = IncrementalSettings.DefaultStreamTimeoutMs,
    bool Indefinite = false,
    string MonitoringMetric = IncrementalSettings.DefaultMonitoringMetric,
    MetricChange Change = MetricChange.Down,
    double Improvement = IncrementalSettings.DefaultImprovement,
    int WindowSize = IncrementalSettings.DefaultWindowSize,
    int EpochsPerWindow = IncrementalSettings.DefaultEpochsPerWindow)
{
    public const int DefaultStreamTimeoutMs = 60_000;
    public const string DefaultMonitoringMetric = "val_loss";
    public const double DefaultImprovement = 0.05;
    public const int DefaultWindowSize = 256;
    public const int DefaultEpochsPerWindow = 1;

    /// <summary>The prefix of a metric measured on the validation share, as Keras and Kafka-ML name it.</summary>
    public const string ValidationPrefix = "val_";

    /// <summary>
    /// A monitoring metric's base name and where it is measured: <c>val_accuracy</c> → (<c>accuracy</c>, on the
    /// validation share), <c>loss</c> → (<c>loss</c>, on the training share).
    /// </summary>
    public static (string Metric, bool OnValidation) Split(string monitoringMetric) =>
        monitoringMetric.StartsWith(ValidationPrefix, StringComparison.OrdinalIgnoreCase)
            ? (monitoringMetric[ValidationPrefix.Length..], true)
            : (monitoringMetric, false);
}
