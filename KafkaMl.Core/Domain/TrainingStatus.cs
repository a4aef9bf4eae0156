using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

/// <summary>created → deployed (waiting for data) → training → finished | failed | stopped.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrainingStatus>))]
public enum TrainingStatus
{
    [JsonStringEnumMemberName("created")] Created,
    [JsonStringEnumMemberName("deployed")] Deployed,
    [JsonStringEnumMemberName("training")] Training,
    [JsonStringEnumMemberName("finished")] Finished,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("stopped")] Stopped,
}

public static class TrainingStatusExtensions
{
    /// <summary>True for <c>finished</c>, <c>failed</c> and <c>stopped</c>: nothing changes any more.</summary>
    public static bool IsFinal(this TrainingStatus status) =>
        status is TrainingStatus.Finished or TrainingStatus.Failed or TrainingStatus.Stopped;
}
