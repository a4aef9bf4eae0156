using System.Text.Json.Nodes;

namespace KafkaMl.Core.Orchestration;

// What an inference replica (the `infer` verb) and the portal say to each other over HTTP, under
// /api/jobs/inference/{inferenceId}. Data never travels this way: inputs and predictions go through Kafka.

/// <summary><c>GET /api/jobs/inference/{inferenceId}</c>: the model and the streams of one inference service.</summary>
public sealed record InferenceJobSpec(
    int InferenceId,
    int ResultId,
    string ModelName,
    string ModelCode,
    string Loss,
    string InputFormat,
    JsonObject InputConfig,
    string InputTopic,
    string OutputTopic,
    string ConsumerGroup,
    JsonObject? Scaler);

/// <summary>
/// <c>POST .../stats</c>, every few seconds from each replica: counters since the replica started and
/// latency percentiles over its recent messages (input timestamp → prediction delivered). <c>Replica</c> names the
/// replica: an index locally, the pod name on Kubernetes (<see cref="JobEnvironment.ReplicaVariable"/>) — opaque text.
/// </summary>
public sealed record InferenceStatsReport(
    string Replica,
    long MessagesIn,
    long MessagesOut,
    long Errors,
    long DeadLettered,
    double? LatencyP50Ms,
    double? LatencyP99Ms,
    IReadOnlyList<RecentPrediction> Recent);

/// <summary>One prediction, as the portal's live feed shows it.</summary>
public sealed record RecentPrediction(int Partition, long Offset, IReadOnlyList<float> Values, int? Prediction, DateTimeOffset Time);

/// <summary>The routes both sides of the inference job's HTTP conversation use.</summary>
public static class InferenceJobRoutes
{
    public static string Spec(int inferenceId) => $"/api/jobs/inference/{inferenceId}";

    /// <summary>The trained weights of the result the inference serves (TorchSharp format).</summary>
    public static string Weights(int inferenceId) => $"{Spec(inferenceId)}/weights";

    public static string Stats(int inferenceId) => $"{Spec(inferenceId)}/stats";

    /// <summary>Dead-letter topic of an input topic: undecodable or wrongly shaped messages go there.</summary>
    public static string DeadLetterTopic(string inputTopic) => $"{inputTopic}.dlq";

    /// <summary>Header of a dead-lettered message that carries the error.</summary>
    public const string ErrorHeader = "kafkaml-error";
}
