using KafkaMl.Core.Orchestration;

namespace KafkaMl.Core.Domain;

/// <summary>The training of one model of a deployment: status, final metrics and per-epoch history.</summary>
public class TrainingResult : IWorkloadRecord<TrainingStatus>
{
    public static StatusTransitions<TrainingStatus> Transitions => TrainingStatusExtensions.Transitions;

    public int Id { get; set; }

    public int DeploymentId { get; set; }

    public Deployment? Deployment { get; set; }

    public int ModelId { get; set; }

    public Model? Model { get; set; }

    /// <summary>
    /// The model's script as it was when the deployment was made: what the job trains and what the downloaded
    /// bundle holds, even if the model is edited afterwards.
    /// </summary>
    public string ModelCode { get; set; } = "";

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

    /// <summary>The data stream the job trained on: the control message's range list (<c>topic:partition:start:end</c>, ...).</summary>
    public string? DataTopic { get; set; }

    /// <summary>The stream's format (<c>RAW</c>, <c>AVRO</c>, <c>JSON</c>), as the control message named it; pre-fills inference.</summary>
    public string? InputFormat { get; set; }

    /// <summary>The stream's format configuration as a JSON object (snake_case keys, as sent); pre-fills inference.</summary>
    public string? InputConfig { get; set; }

    /// <summary>The feature scaler the job fitted (JSON), which inference must apply the same way; null when none.</summary>
    public string? Scaler { get; set; }

    /// <summary>
    /// An early-exit chain's per-exit metrics and exit trade-off, as its training job reported them; null for a plain model.
    /// What chain inference defaults its thresholds from.
    /// </summary>
    public ChainResultReport? Chain { get; set; }

    /// <summary>
    /// The name of the file the weights were imported from (<c>POST /api/results/import</c>: trained elsewhere, e.g. in
    /// PyTorch); null for a result this platform trained.
    /// </summary>
    public string? ImportedFrom { get; set; }

    /// <summary>The imported file's format (<see cref="ImportFormats"/>); null for a result this platform trained.</summary>
    public string? ImportedFormat { get; set; }

    /// <summary>The per-epoch history, one row per epoch.</summary>
    public List<EpochMetric> Epochs { get; set; } = [];

    /// <summary>
    /// The self-training rounds of a semi-supervised run, by window then round (<see cref="SelfTrainingRound.Ordered"/>);
    /// empty for a supervised one.
    /// </summary>
    public List<SelfTrainingRound> SelfTraining { get; set; } = [];

    /// <summary>The published models, version 1 first (a bounded training has only version 1).</summary>
    public List<ModelVersion> Versions { get; set; } = [];

    /// <summary>Inference services serving this result.</summary>
    public List<Inference> Inferences { get; set; } = [];
}

/// <summary>The formats weights are imported from, as <see cref="TrainingResult.ImportedFormat"/> records them.</summary>
public static class ImportFormats
{
    /// <summary>A <c>.pt</c> state dict written by <c>torch.save</c>.</summary>
    public const string PyTorch = "pytorch";

    /// <summary>A <c>.safetensors</c> file.</summary>
    public const string SafeTensors = "safetensors";

    /// <summary>How a page names the format.</summary>
    public static string Describe(string? format) => format switch
    {
        PyTorch => "a PyTorch state dict (.pt)",
        SafeTensors => "safetensors",
        _ => format ?? "",
    };
}
