namespace KafkaMl.Core.Inference;

public enum InferenceProgressKind
{
    /// <summary>Subscribed to the input topic; partitions come with the group's first assignment.</summary>
    Subscribed,

    /// <summary>The group gave this replica partitions.</summary>
    Assigned,

    /// <summary>The group took partitions back; their answers were delivered and their offsets committed first.</summary>
    Revoked,

    /// <summary>The group took partitions away without a revocation (session lost); their uncommitted messages will be answered again elsewhere.</summary>
    Lost,

    /// <summary>The replica serves another model version from this batch on (<see cref="InferenceProgress.ModelVersion"/>).</summary>
    VersionSwapped,

    /// <summary>Stopping: no more consuming; waiting for answers in flight, committing.</summary>
    Stopping,

    /// <summary>Stopped: everything delivered was committed and the consumer left the group.</summary>
    Stopped,
}

/// <summary>A change in an engine's life: <paramref name="Partitions"/> changed hands, <paramref name="Assignment"/> is what it holds now.</summary>
public sealed record InferenceProgress(InferenceProgressKind Kind, IReadOnlyList<int> Partitions, IReadOnlyList<int> Assignment)
{
    /// <summary>For <see cref="InferenceProgressKind.VersionSwapped"/>: the version served now.</summary>
    public int? ModelVersion { get; init; }

    /// <summary>For <see cref="InferenceProgressKind.VersionSwapped"/>: the version served before (null: none).</summary>
    public int? PreviousVersion { get; init; }
}
