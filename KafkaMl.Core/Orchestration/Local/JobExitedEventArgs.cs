namespace KafkaMl.Core.Orchestration.Local;

/// <summary>
/// A replica's process ended by itself (not through <see cref="IJobRunner.StopAsync"/> or a scale-down):
/// a training job finished (<see cref="State"/> is <see cref="JobPhase.Succeeded"/> or <see cref="JobPhase.Failed"/>),
/// or an inference replica crashed and will be restarted (<see cref="State"/> is the service's state meanwhile).
/// </summary>
public sealed class JobExitedEventArgs(string name, int replica, int exitCode, JobState state) : EventArgs
{
    public string Name { get; } = name;

    public int Replica { get; } = replica;

    public int ExitCode { get; } = exitCode;

    public JobState State { get; } = state;
}
