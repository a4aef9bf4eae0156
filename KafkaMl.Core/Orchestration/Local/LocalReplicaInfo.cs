namespace KafkaMl.Core.Orchestration.Local;

/// <summary>
/// One replica of a local job as the runner sees it: its process id while it runs (null while it waits to be
/// restarted or after it finished), how often it was restarted, and why it last exited.
/// </summary>
public sealed record LocalReplicaInfo(int Index, int? ProcessId, DateTimeOffset? StartedAt, int Restarts, string? LastExit);
