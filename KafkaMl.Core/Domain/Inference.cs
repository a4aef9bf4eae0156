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

    public InferenceStatus Status { get; set; } = InferenceStatus.Created;

    public DateTimeOffset StatusChanged { get; set; }

    public string? Error { get; set; }
}
