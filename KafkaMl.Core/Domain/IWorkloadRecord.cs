namespace KafkaMl.Core.Domain;

/// <summary>
/// A record of a workload the portal runs (a training result, an inference): its status, when the status last
/// changed and why it failed or stopped, with the transition table its status follows.
/// </summary>
public interface IWorkloadRecord<TStatus> where TStatus : struct, Enum
{
    int Id { get; }

    TStatus Status { get; }

    DateTimeOffset StatusChanged { get; }

    string? Error { get; }

    /// <summary>Which statuses may follow which (<see cref="StatusTransitions{TStatus}"/>).</summary>
    static abstract StatusTransitions<TStatus> Transitions { get; }
}
