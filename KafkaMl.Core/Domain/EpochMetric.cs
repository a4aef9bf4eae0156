namespace KafkaMl.Core.Domain;

/// <summary>The metrics of one epoch of a training result (unique per result and epoch).</summary>
public class EpochMetric
{
    public int Id { get; set; }

    public int ResultId { get; set; }

    public TrainingResult? Result { get; set; }

    /// <summary>1-based epoch number.</summary>
    public int Epoch { get; set; }

    public Dictionary<string, double> TrainMetrics { get; set; } = [];

    public Dictionary<string, double> ValMetrics { get; set; } = [];

    public DateTimeOffset RecordedAt { get; set; }
}
