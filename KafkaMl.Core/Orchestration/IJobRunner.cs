namespace KafkaMl.Core.Orchestration;

/// <summary>
/// Starts, observes and stops the workloads the portal orchestrates — training jobs (run to completion,
/// one replica) and inference services (long-running, N replicas) — as child processes of this
/// executable (<c>local</c>) or as Kubernetes Jobs and Deployments (<c>kubernetes</c>). Every method
/// is idempotent by <see cref="JobSpec.Name"/>, so Hangfire may retry it.
/// </summary>
public interface IJobRunner
{
    /// <summary><c>local</c> or <c>kubernetes</c>.</summary>
    string Kind { get; }

    /// <summary>Starts the workload unless one with the same name already exists.</summary>
    Task StartAsync(JobSpec spec, CancellationToken cancellationToken);

    /// <summary>Stops the workload and removes what it left running; a missing workload is not an error.</summary>
    Task StopAsync(string name, CancellationToken cancellationToken);

    /// <summary>Changes an inference service's replica count.</summary>
    Task ScaleAsync(string name, int replicas, CancellationToken cancellationToken);

    /// <summary>The workload's phase as the runner sees it (<see cref="JobPhase.Unknown"/> when it has no such workload).</summary>
    Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken);

    /// <summary>The last <paramref name="tailLines"/> lines of the workload's output (stdout and stderr), or null when none is kept.</summary>
    Task<string?> GetLogAsync(string name, int tailLines, CancellationToken cancellationToken);
}

public enum JobKind
{
    /// <summary>Runs to completion; one replica (a Kubernetes <c>batch/v1</c> Job).</summary>
    Training,

    /// <summary>Runs until stopped; N replicas in one consumer group (a Kubernetes <c>apps/v1</c> Deployment).</summary>
    Inference,
}

/// <summary>
/// One workload: the executable's verb and arguments (the same binary/image as the portal), its
/// environment (broker address, portal URL, job token — values may be secrets and are never logged),
/// replicas and resource limits.
/// </summary>
public sealed record JobSpec(
    string Name,
    JobKind Kind,
    IReadOnlyList<string> Arguments,
    IReadOnlyDictionary<string, string> Environment,
    int Replicas = 1,
    JobResources? Resources = null,
    IReadOnlyDictionary<string, string>? Labels = null)
{
    public static string TrainingName(int resultId) => $"kafkaml-train-{resultId}";

    public static string InferenceName(int inferenceId) => $"kafkaml-infer-{inferenceId}";

    /// <summary>
    /// The rules every runner holds a spec to (each adds its own): a name Kubernetes accepts (so a workload can move
    /// between runners), a verb, one replica for training, no negative replica count.
    /// </summary>
    public void EnsureValid()
    {
        Kubernetes.KubernetesNames.EnsureJobName(Name, "spec");
        if (Arguments.Count == 0 || string.IsNullOrWhiteSpace(Arguments[0]))
            throw new ArgumentException($"Job {Name} names no verb; its first argument must be one.", "spec");
        if (Kind == JobKind.Training && Replicas != 1)
            throw new ArgumentException($"A training job runs exactly one replica; job {Name} asks for {Replicas}.", "spec");
        if (Replicas < 0)
            throw new ArgumentException($"Job {Name} asks for {Replicas} replicas.", "spec");
    }
}

/// <summary>Resource requests/limits; null members take the runner's defaults.</summary>
public sealed record JobResources(string? CpuRequest = null, string? CpuLimit = null, string? MemoryRequest = null, string? MemoryLimit = null);

public enum JobPhase
{
    Unknown,
    Pending,
    Running,
    Succeeded,
    Failed,
}

/// <summary>What the runner knows of a workload; <paramref name="Reason"/> says why it failed.</summary>
public sealed record JobState(JobPhase Phase, string? Reason = null, int ReadyReplicas = 0, int? ExitCode = null);
