namespace KafkaMl.Core.Domain;

/// <summary>The training of one model of a deployment: status, final metrics and per-epoch history.</summary>
public class TrainingResult
{
    public int Id { get; set; }

    public int DeploymentId { get; set; }

    public Deployment? Deployment { get; set; }

    public int ModelId { get; set; }

    public Model? Model { get; set; }

    public TrainingStatus Status { get; set; } = TrainingStatus.Created;

    /// <summary>Final training metrics, metric name → value (e.g. <c>loss</c>, <c>accuracy</c>).</summary>
    public Dictionary<string, double> TrainMetrics { get; set; } = [];

    public Dictionary<string, double> ValMetrics { get; set; } = [];

    public Dictionary<string, double> TestMetrics { get; set; } = [];

    /// <summary>Rows = true class, columns = predicted class; null when not a classifier or not tested.</summary>
    public int[][]? ConfusionMatrix { get; set; }

    public double? TrainingSeconds { get; set; }

    public DateTimeOffset StatusChanged { get; set; }

    /// <summary>Why the training failed or stopped, readable by a user.</summary>
    public string? Error { get; set; }

    /// <summary>Where the trained weights were stored, relative to the data directory or absolute.</summary>
    public string? WeightsPath { get; set; }

    /// <summary>The per-epoch history, one row per epoch.</summary>
    public List<EpochMetric> Epochs { get; set; } = [];

    /// <summary>Inference services serving this result.</summary>
    public List<Inference> Inferences { get; set; } = [];
}
