using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using KafkaMl.Core.Telemetry;

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
    JsonObject? Scaler)
{
    /// <summary>
    /// The model version to serve first: the pinned one, or the result's latest (<see cref="Scaler"/> and the weights are
    /// that version's). Null from a portal before model versions: the result's weights, as version 1.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Version { get; init; }

    /// <summary>Set when the inference is one stage of an early-exit chain: which, and where it answers and forwards.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ChainStageSpec? Chain { get; init; }
}

/// <summary>
/// The chain part of a stage's spec. Bootstrap servers null mean the portal's Kafka. The output topic lives on the first
/// stage's Kafka (<see cref="OutputBootstrapServers"/>); what is forwarded goes to <see cref="UpperTopic"/> on
/// <see cref="UpperBootstrapServers"/>. <see cref="FirstInputShape"/> is one sample of the chain's input, when known: the
/// replica of a later stage runs the stages below on zeros of it once to know the shape of the tensor it receives.
/// </summary>
public sealed record ChainStageSpec(
    int Stage,
    int Stages,
    double? Threshold,
    string? BootstrapServers,
    string? OutputBootstrapServers,
    string? UpperTopic,
    string? UpperBootstrapServers,
    IReadOnlyList<long>? FirstInputShape);

/// <summary>
/// <c>GET .../version</c>: the model version the replicas should serve now (the pinned one, or the result's latest)
/// and that version's feature scaler; its weights come from <c>.../weights?version=N</c>. Replicas ask every second.
/// </summary>
public sealed record InferenceVersionSpec(int Version, JsonObject? Scaler)
{
    /// <summary>A chain stage's confidence threshold now (changed live through the portal); null for other inferences and the final stage.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Threshold { get; init; }
}

/// <summary>
/// One replica's stats, the one record both sides use. <c>POST .../stats</c>, every few seconds from each replica:
/// counters since the replica started and latency percentiles over its recent messages (input timestamp →
/// prediction delivered), with its <see cref="Recent"/> predictions. The portal keeps each replica's last one
/// with <see cref="ReportedAt"/> instead of the predictions (which it merges into one feed), and shows it as is.
/// <c>Replica</c> names the replica: an index locally, the pod name on Kubernetes
/// (<see cref="JobEnvironment.ReplicaVariable"/>) — opaque text.
/// </summary>
public sealed record InferenceStatsReport(
    string Replica,
    long MessagesIn,
    long MessagesOut,
    long Errors,
    long DeadLettered,
    double? LatencyP50Ms,
    double? LatencyP99Ms,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RecentPrediction>? Recent)
{
    /// <summary>The input partitions the replica holds (sent by replicas since issue 14; null from older ones).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<int>? Partitions { get; init; }

    /// <summary>The model version the replica serves (null from replicas before model versions, or serving files).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ModelVersion { get; init; }

    /// <summary>A version the replica was asked to serve and refused because it would not load (it keeps serving <see cref="ModelVersion"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? RefusedVersion { get; init; }

    /// <summary>Why <see cref="RefusedVersion"/> would not load.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LoadError { get; init; }

    /// <summary>A chain stage's number (1-based); null for a plain replica.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Stage { get; init; }

    /// <summary>A chain stage's inputs answered here (with its exit); null for a plain replica.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Answered { get; init; }

    /// <summary>A chain stage's inputs forwarded to the next stage; null for a plain replica.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Forwarded { get; init; }

    /// <summary>The threshold a chain stage's replica answers with now (null for the final stage and plain replicas): a changed one shows here once taken.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Threshold { get; init; }

    /// <summary>When the replica started counting (sent since issue 20; null from older replicas): a new value means its counters restarted.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>Deliveries per end-to-end latency bucket since <see cref="StartedAt"/> (sent since issue 20; null from older replicas).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public LatencyHistogramReport? LatencyHistogram { get; init; }

    /// <summary>When the portal received the report (set by the portal; replicas send none, so it stays off their wire).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public DateTimeOffset ReportedAt { get; init; }
}

/// <summary>One prediction, as the portal's live feed shows it.</summary>
public sealed record RecentPrediction(int Partition, long Offset, IReadOnlyList<float> Values, int? Prediction, DateTimeOffset Time);

/// <summary>The routes both sides of the inference job's HTTP conversation use.</summary>
public static class InferenceJobRoutes
{
    public static string Spec(int inferenceId) => $"/api/jobs/inference/{inferenceId}";

    /// <summary>The trained weights of the result the inference serves (TorchSharp format): of the version wanted now, or of <c>?version=N</c>.</summary>
    public static string Weights(int inferenceId) => $"{Spec(inferenceId)}/weights";

    /// <summary>The weights of model version <paramref name="version"/>.</summary>
    public static string Weights(int inferenceId, int version) => $"{Weights(inferenceId)}?version={version}";

    /// <summary>The model version to serve now (<see cref="InferenceVersionSpec"/>).</summary>
    public static string Version(int inferenceId) => $"{Spec(inferenceId)}/version";

    /// <summary>Model version <paramref name="version"/> and its scaler (a replica whose wanted version will not load falls back to older ones).</summary>
    public static string Version(int inferenceId, int version) => $"{Version(inferenceId)}?version={version}";

    public static string Stats(int inferenceId) => $"{Spec(inferenceId)}/stats";

    /// <summary>Header of a dead-lettered message that carries the error.</summary>
    public const string ErrorHeader = "kafkaml-error";
}
