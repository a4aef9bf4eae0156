namespace KafkaMl.Core.Orchestration.Kubernetes;

/// <summary>
/// The <c>KafkaMl:Kubernetes</c> section: which API server <see cref="KubernetesJobRunner"/> talks to, where it puts
/// workloads, and the pod conventions they share (image, pull policy, service account, security, resources). Values of
/// secret variables (<see cref="JobRunnerOptions.IsSecretVariable"/>) go into a per-job Secret.
/// </summary>
public sealed class KubernetesJobRunnerOptions : JobRunnerOptions
{
    public const string Section = "KafkaMl:Kubernetes";

    /// <summary>Namespace used when none is configured and none comes from the cluster or the kubeconfig.</summary>
    public const string DefaultNamespace = "kafkaml";

    /// <summary>
    /// The API server's URL (e.g. <c>http://127.0.0.1:8001</c> behind <c>kubectl proxy</c>, or a test's stand-in).
    /// Empty = the in-cluster configuration when running in a pod, else <see cref="KubeConfigPath"/> or the default kubeconfig.
    /// </summary>
    public string? Host { get; set; }

    /// <summary>Bearer token sent to <see cref="Host"/> (a secret: bind it from a Kubernetes Secret or an environment variable).</summary>
    public string? AccessToken { get; set; }

    /// <summary>Skips TLS certificate validation of <see cref="Host"/> (development clusters only).</summary>
    public bool SkipTlsVerify { get; set; }

    /// <summary>A kubeconfig file; empty = <c>$KUBECONFIG</c> or <c>~/.kube/config</c> (used only outside a cluster and without <see cref="Host"/>).</summary>
    public string? KubeConfigPath { get; set; }

    /// <summary>The kubeconfig context; empty = its current context.</summary>
    public string? Context { get; set; }

    /// <summary>Namespace of every workload; empty = the pod's own namespace in a cluster, the kubeconfig context's, or <c>kafkaml</c>.</summary>
    public string? Namespace { get; set; }

    /// <summary>The KafkaMl image (the portal's own): every Job and Deployment runs it with a verb as its arguments. Required.</summary>
    public string Image { get; set; } = "";

    /// <summary><c>Always</c>, <c>IfNotPresent</c> or <c>Never</c>.</summary>
    public string ImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>Secrets holding registry credentials for <see cref="Image"/>.</summary>
    public List<string> ImagePullSecrets { get; set; } = [];

    /// <summary>Service account of job pods; empty = the namespace's default. Jobs never call the API server, so its token is not mounted.</summary>
    public string? ServiceAccountName { get; set; }

    /// <summary>Seconds a finished training Job (and its pod and Secret) is kept before Kubernetes deletes it; 0 = at once.</summary>
    public int TtlSecondsAfterFinished { get; set; } = 3600;

    /// <summary>Longest run of a training Job before Kubernetes ends it (<c>DeadlineExceeded</c>); null = no limit.</summary>
    public long? ActiveDeadlineSeconds { get; set; }

    /// <summary>Seconds a pod has between SIGTERM and SIGKILL when it is stopped.</summary>
    public long TerminationGracePeriodSeconds { get; set; } = 10;

    /// <summary>The user (and group) job containers run as: the .NET images' non-root <c>app</c> user.</summary>
    public long RunAsUser { get; set; } = 1654;

    /// <summary>Requests and limits of job containers where the <see cref="JobSpec.Resources"/> leave them open.</summary>
    public KubernetesResourceOptions Resources { get; set; } = new();
}

/// <summary>Kubernetes resource quantities (<c>250m</c>, <c>2</c>, <c>512Mi</c>, ...); empty = not set.</summary>
public sealed class KubernetesResourceOptions
{
    public string? CpuRequest { get; set; } = "250m";

    /// <summary>No CPU limit by default: throttling slows training more than sharing a node does.</summary>
    public string? CpuLimit { get; set; }

    public string? MemoryRequest { get; set; } = "512Mi";

    public string? MemoryLimit { get; set; } = "2Gi";
}
