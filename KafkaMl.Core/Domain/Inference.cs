namespace KafkaMl.Core.Domain;

/// <summary>A trained result deployed as a streaming inference service.</summary>
public class Inference : IWorkloadRecord<InferenceStatus>
{
    public static StatusTransitions<InferenceStatus> Transitions => InferenceStatusExtensions.Transitions;

    public int Id { get; set; }

    public int ResultId { get; set; }

    public TrainingResult? Result { get; set; }

    public int Replicas { get; set; } = 1;

    /// <summary><c>RAW</c>, <c>AVRO</c> or <c>JSON</c>.</summary>
    public string InputFormat { get; set; } = "";

    /// <summary>The format's configuration as a JSON object (snake_case keys).</summary>
    public string InputConfig { get; set; } = "{}";

    public string InputTopic { get; set; } = "";

    public string OutputTopic { get; set; } = "";

    /// <summary>
    /// Partitions of the input topic when it was deployed: the service is running once its replicas hold them all.
    /// Null for a service deployed before the count was kept (then one reporting replica makes it running).
    /// </summary>
    public int? InputPartitions { get; set; }

    /// <summary>The model version of the result it serves when pinned; null: it follows the result's latest version.</summary>
    public int? PinnedVersion { get; set; }

    /// <summary>
    /// One stage of an early-exit chain deployed in one action: the id of the chain's first stage (its own for that one),
    /// shared by every stage; null for a plain inference.
    /// </summary>
    public int? ChainId { get; set; }

    /// <summary>The chain stage this inference serves (1-based; the final stage is the chain's last); null for a plain inference.</summary>
    public int? Stage { get; set; }

    /// <summary>A chain stage's confidence threshold (answer here at or above it, else forward); null for the final stage and plain inferences.</summary>
    public double? Threshold { get; set; }

    /// <summary>A chain stage's own Kafka (an edge or fog broker), where its input topic lives; null: the portal's.</summary>
    public string? BootstrapServers { get; set; }

    public InferenceStatus Status { get; set; } = InferenceStatus.Created;

    public DateTimeOffset StatusChanged { get; set; }

    public string? Error { get; set; }
}
