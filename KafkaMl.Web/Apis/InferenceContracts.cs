using KafkaMl.Core.Streaming;
using System.Text.Json.Nodes;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Apis;

/// <summary>
/// <c>POST /api/inferences</c>: serve a finished result. <c>InputFormat</c> and <c>InputConfig</c> default to the
/// stream the result trained on; <c>InputConfig</c> is a JSON object with the format's snake_case keys (or a
/// string holding one). <c>Replicas</c>: 1 to 16, default 1. <c>Partitions</c>: of the topics the deploy creates
/// (input, output, dead letters) when they do not exist yet; default <c>KafkaMl:Kafka:TopicPartitions</c>.
/// <c>Version</c>: a version number of the result (pinned) or <c>"latest"</c> (follows the result's newest; the default).
/// For an early-exit chain's result, one service per stage is deployed: <c>Thresholds</c> (one per early exit, default the
/// trade-off's suggestion) and <c>Stages</c> (one per stage: replicas, bootstrapServers) apply (<see cref="InferenceService.CreateChainAsync"/>).
/// </summary>
public sealed record InferenceRequest(
    int? ResultId,
    int? Replicas,
    string? InputFormat,
    JsonNode? InputConfig,
    string? InputTopic,
    string? OutputTopic,
    int? Partitions = null,
    JsonNode? Version = null,
    IReadOnlyList<double>? Thresholds = null,
    IReadOnlyList<ChainStageRequest>? Stages = null);

/// <summary>
/// One stage of a chain in <c>POST /api/inferences</c> (<c>"stages": [{"replicas": 1, "bootstrapServers": "edge:9092"}, ...]</c>):
/// its replicas (default the request's <c>replicas</c>) and its own Kafka (default the portal's).
/// </summary>
public sealed record ChainStageRequest(int? Replicas, string? BootstrapServers);

/// <summary><c>POST /api/inferences/{id}/thresholds</c>: one confidence threshold per early exit of the chain, exit 1 first.</summary>
public sealed record ChainThresholdsRequest(IReadOnlyList<double>? Thresholds);

/// <summary><c>POST /api/inferences/{id}/version</c>: <c>{"version": 3}</c> pins version 3, <c>{"version": "latest"}</c> follows the newest.</summary>
public sealed record InferenceVersionRequest(JsonNode? Version);

/// <summary><c>POST /api/inferences/{id}/scale</c>.</summary>
public sealed record InferenceScaleRequest(int? Replicas);

/// <summary>An inference as the API shows it, with its live replicas' stats (empty when none reported lately).</summary>
public sealed record InferenceResponse(
    int Id,
    int ResultId,
    string ModelName,
    int Replicas,
    string InputFormat,
    JsonObject InputConfig,
    string InputTopic,
    string OutputTopic,
    string DeadLetterTopic,
    string ConsumerGroup,
    InferenceStatus Status,
    DateTimeOffset StatusChanged,
    string? Error,
    InferenceStatsResponse Stats)
{
    /// <summary>What deserves attention without stopping the deploy (e.g. fewer input partitions than replicas); older clients ignore it.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>What the inference was asked to serve: a version number (pinned) or <c>"latest"</c>.</summary>
    public JsonNode Version { get; init; } = InferenceVersions.Describe(null);

    /// <summary>The version its replicas should serve now: the pinned one, or the result's latest (null when the result has none).</summary>
    public int? WantedVersion { get; init; }

    /// <summary>The version every live replica reports serving (null when none reports, or while they differ during a swap); each replica's is in <c>stats.replicas</c>.</summary>
    public int? ServedVersion { get; init; }

    /// <summary>Partitions of the input topic at deploy (null when unknown): running once <c>stats.assignedPartitions</c> reaches it.</summary>
    public int? InputPartitions { get; init; }

    /// <summary>An early-exit chain's stages, thresholds and per-stage stats, on each of its stages' inferences; null for a plain inference.</summary>
    public InferenceChainResponse? Chain { get; init; }

    public static InferenceResponse From(Inference inference, string modelName, InferenceLiveStats stats, int? wantedVersion) => new(
        inference.Id,
        inference.ResultId,
        modelName,
        inference.Replicas,
        inference.InputFormat,
        ResultInputResponse.ParseObject(inference.InputConfig) ?? [],
        inference.InputTopic,
        inference.OutputTopic,
        TopicNames.DeadLetter(inference.InputTopic),
        InferenceOrchestrator.ConsumerGroup(inference.Id),
        inference.Status,
        inference.StatusChanged,
        inference.Error,
        InferenceStatsResponse.From(stats))
    {
        InputPartitions = inference.InputPartitions,
        Version = InferenceVersions.Describe(inference.PinnedVersion),
        WantedVersion = wantedVersion,
        ServedVersion = stats.Replicas.Select(r => r.ModelVersion).Distinct().ToList() is [{ } served] ? served : null,
    };
}

/// <summary>Totals over the live replicas, each replica's last report, and the latest predictions (newest first).</summary>
public sealed record InferenceStatsResponse(
    long MessagesIn,
    long MessagesOut,
    long Errors,
    long DeadLettered,
    IReadOnlyList<InferenceStatsReport> Replicas,
    IReadOnlyList<RecentPrediction> Recent)
{
    /// <summary>How many distinct input partitions the live replicas report holding (0 before any replica reported them).</summary>
    public int AssignedPartitions { get; init; }

    public static InferenceStatsResponse From(InferenceLiveStats stats) =>
        new(stats.MessagesIn, stats.MessagesOut, stats.Errors, stats.DeadLettered, stats.Replicas, stats.Recent)
        {
            AssignedPartitions = stats.AssignedPartitions,
        };
}
