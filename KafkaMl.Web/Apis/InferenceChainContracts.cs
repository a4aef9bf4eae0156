using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Apis;

/// <summary>
/// An early-exit chain deployed in one action, as each of its stages' inferences shows it: the chain's id (its first
/// stage's inference), the stage this inference serves, the thresholds (one per early exit) and every stage.
/// </summary>
public sealed record InferenceChainResponse(int ChainId, int Stage, IReadOnlyList<double> Thresholds, IReadOnlyList<ChainStageResponse> Stages);

/// <summary>
/// One stage of a chain with its live totals: messages in, answered here (with exit <c>stage</c>), forwarded to the
/// next stage, dead-lettered, and the latency percentiles of its replicas (from the chain's input timestamp, as the
/// forwarded tensors keep it, to the answer or forward delivered; the worst replica's).
/// </summary>
public sealed record ChainStageResponse(
    int Stage,
    int InferenceId,
    int Replicas,
    string? BootstrapServers,
    string InputTopic,
    double? Threshold,
    InferenceStatus Status,
    long MessagesIn,
    long Answered,
    long Forwarded,
    long DeadLettered,
    double? LatencyP50Ms,
    double? LatencyP99Ms)
{
    public static ChainStageResponse From(Inference stage, InferenceLiveStats stats) => new(
        stage.Stage ?? 1,
        stage.Id,
        stage.Replicas,
        stage.BootstrapServers,
        stage.InputTopic,
        stage.Threshold,
        stage.Status,
        stats.MessagesIn,
        stats.Replicas.Sum(r => r.Answered ?? 0),
        stats.Replicas.Sum(r => r.Forwarded ?? 0),
        stats.DeadLettered,
        stats.Replicas.Max(r => r.LatencyP50Ms),
        stats.Replicas.Max(r => r.LatencyP99Ms));
}
