namespace KafkaMl.Core.Domain;

/// <summary>
/// One published model of a training result (unique per result and version): version 1 is a bounded training's
/// model; an incremental training publishes 2, 3, ... as its monitored metric improves. Each version keeps its own
/// weights, feature scaler and the metrics it had when published, so versions compare and load on their own.
/// </summary>
public class ModelVersion
{
    public int Id { get; set; }

    public int ResultId { get; set; }

    public TrainingResult? Result { get; set; }

    /// <summary>1, 2, ... in publication order, without gaps.</summary>
    public int Version { get; set; }

    public DateTimeOffset PublishedAt { get; set; }

    /// <summary>
    /// Stream samples the model had been trained and validated on when it was published: the whole bounded stream
    /// for a batch result, the samples read so far for an incremental one.
    /// </summary>
    public long SamplesSeen { get; set; }

    /// <summary>TorchSharp's weights file, relative to the data directory (the safetensors copy, if any, lies beside it).</summary>
    public string WeightsPath { get; set; } = "";

    /// <summary>The feature scaler these weights were trained with (JSON); null when none.</summary>
    public string? Scaler { get; set; }

    public Dictionary<string, double> TrainMetrics { get; set; } = [];

    public Dictionary<string, double> ValMetrics { get; set; } = [];

    public Dictionary<string, double> TestMetrics { get; set; } = [];

    /// <summary>
    /// For an incremental version: where its stream was read to when it was published (<c>topic:partition</c> → the
    /// next offset), so a job started again reads on from exactly this version's data; empty for other versions.
    /// </summary>
    public Dictionary<string, long> StreamOffsets { get; set; } = [];
}
