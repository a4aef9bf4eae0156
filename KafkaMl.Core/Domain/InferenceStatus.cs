using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

/// <summary>created → deployed (submitted) → running → stopped | failed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InferenceStatus>))]
public enum InferenceStatus
{
    [JsonStringEnumMemberName("created")] Created,
    [JsonStringEnumMemberName("deployed")] Deployed,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("stopped")] Stopped,
    [JsonStringEnumMemberName("failed")] Failed,
}

public static class InferenceStatusExtensions
{
    /// <summary>
    /// Which inference statuses may follow which: the start marks a created inference deployed, the first replica
    /// report (or reconcile) a created or deployed one running, and a stop or a failure ends any that has not ended.
    /// The replicas should run while the inference is <c>deployed</c> or <c>running</c>.
    /// </summary>
    public static readonly StatusTransitions<InferenceStatus> Transitions = new(
        new Dictionary<InferenceStatus, InferenceStatus[]>
        {
            [InferenceStatus.Deployed] = [InferenceStatus.Created],
            [InferenceStatus.Running] = [InferenceStatus.Created, InferenceStatus.Deployed],
            [InferenceStatus.Stopped] = [InferenceStatus.Created, InferenceStatus.Deployed, InferenceStatus.Running],
            [InferenceStatus.Failed] = [InferenceStatus.Created, InferenceStatus.Deployed, InferenceStatus.Running],
        },
        active: [InferenceStatus.Deployed, InferenceStatus.Running]);

    /// <summary>True for <c>stopped</c> and <c>failed</c>: the replicas should exit.</summary>
    public static bool IsFinal(this InferenceStatus status) => Transitions.IsFinal(status);

    /// <summary>True for <c>deployed</c> and <c>running</c>: the replicas should be running.</summary>
    public static bool IsActive(this InferenceStatus status) => Transitions.IsActive(status);
}
