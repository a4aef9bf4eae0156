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
    /// <summary>
    /// Which training statuses may follow which: a result that is not yet finished, failed or stopped may move to any
    /// status but <c>created</c> (a job may report <c>deployed</c> again after <c>training</c>). The job should run
    /// while the result is <c>deployed</c> or <c>training</c>.
    /// </summary>
    public static readonly StatusTransitions<TrainingStatus> Transitions = new(
        new Dictionary<TrainingStatus, TrainingStatus[]>
        {
            [TrainingStatus.Deployed] = Open,
            [TrainingStatus.Training] = Open,
            [TrainingStatus.Finished] = Open,
            [TrainingStatus.Failed] = Open,
            [TrainingStatus.Stopped] = Open,
        },
        active: [TrainingStatus.Deployed, TrainingStatus.Training]);

    private static TrainingStatus[] Open => [TrainingStatus.Created, TrainingStatus.Deployed, TrainingStatus.Training];

    /// <summary>True for <c>finished</c>, <c>failed</c> and <c>stopped</c>: nothing changes any more.</summary>
    public static bool IsFinal(this TrainingStatus status) => Transitions.IsFinal(status);

    /// <summary>True for <c>deployed</c> and <c>training</c>: the result's job should be running.</summary>
    public static bool IsActive(this TrainingStatus status) => Transitions.IsActive(status);
}
