using System.Text;
using k8s.Models;

namespace KafkaMl.Core.Orchestration.Kubernetes;

/// <summary>
/// The Kubernetes objects a <see cref="JobSpec"/> becomes: a <c>batch/v1</c> Job (training) or an <c>apps/v1</c>
/// Deployment (inference) running the KafkaMl image with the spec's arguments, and a <c>v1</c> Secret holding the
/// values of its secret environment variables, which the pod reads through <c>secretKeyRef</c>.
/// </summary>
public static class KubernetesWorkloads
{
    public const string NameLabel = "app.kubernetes.io/name";
    public const string ComponentLabel = "app.kubernetes.io/component";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string JobLabel = "kafkaml.io/job";

    /// <summary>The one container of every job pod.</summary>
    public const string ContainerName = "kafkaml";

    /// <summary>The replica's identity in a pod: its pod name (the local runner sets the replica index instead).</summary>
    public const string ReplicaVariable = JobEnvironment.ReplicaVariable;

    public const string JobNameVariable = JobEnvironment.JobNameVariable;

    /// <summary>The Secret holding a job's secret environment values.</summary>
    public static string SecretName(string jobName) => $"{jobName}-env";

    /// <summary>The label selector of a job's pods.</summary>
    public static string PodSelector(string jobName) => $"{JobLabel}={jobName}";

    /// <summary>Labels of the workload, its pods and its Secret: the spec's own, then KafkaMl's (which win).</summary>
    public static Dictionary<string, string> Labels(JobSpec spec)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in spec.Labels ?? new Dictionary<string, string>()) labels[key] = value;
        labels[NameLabel] = "kafkaml";
        labels[ComponentLabel] = spec.Kind == JobKind.Training ? "training" : "inference";
        labels[ManagedByLabel] = "kafkaml";
        labels[JobLabel] = spec.Name;
        return labels;
    }

    /// <summary>The Secret with the spec's secret environment values, or null when it has none.</summary>
    public static V1Secret? Secret(JobSpec spec, string @namespace, KubernetesJobRunnerOptions options)
    {
        var data = spec.Environment
            .Where(e => options.IsSecretVariable(e.Key))
            .ToDictionary(e => e.Key, e => Encoding.UTF8.GetBytes(e.Value), StringComparer.Ordinal);
        if (data.Count == 0) return null;
        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = SecretName(spec.Name), NamespaceProperty = @namespace, Labels = Labels(spec) },
            Type = "Opaque",
            Data = data,
        };
    }

    /// <summary>A training job: one pod, never retried (<c>backoffLimit: 0</c>), removed <c>ttlSecondsAfterFinished</c> after it ends.</summary>
    public static V1Job Job(JobSpec spec, string @namespace, KubernetesJobRunnerOptions options) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = new V1ObjectMeta { Name = spec.Name, NamespaceProperty = @namespace, Labels = Labels(spec) },
        Spec = new V1JobSpec
        {
            BackoffLimit = 0,
            TtlSecondsAfterFinished = options.TtlSecondsAfterFinished,
            ActiveDeadlineSeconds = options.ActiveDeadlineSeconds,
            Template = PodTemplate(spec, options, restartPolicy: "Never"),
        },
    };

    /// <summary>An inference service: <see cref="JobSpec.Replicas"/> pods that are restarted whenever they exit.</summary>
    public static V1Deployment Deployment(JobSpec spec, string @namespace, KubernetesJobRunnerOptions options) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = spec.Name, NamespaceProperty = @namespace, Labels = Labels(spec) },
        Spec = new V1DeploymentSpec
        {
            Replicas = spec.Replicas,
            Selector = new V1LabelSelector
            {
                MatchLabels = new Dictionary<string, string> { [NameLabel] = "kafkaml", [JobLabel] = spec.Name },
            },
            RevisionHistoryLimit = 2,
            Template = PodTemplate(spec, options, restartPolicy: "Always"),
        },
    };

    /// <summary>An owner reference to <paramref name="owner"/>, so Kubernetes deletes the Secret with its workload (TTL included).</summary>
    /// <remarks>Kind and API version are the workload's own, not what the server echoed (a list or read may omit them).</remarks>
    public static V1OwnerReference OwnerReference(JobKind kind, V1ObjectMeta owner) => new()
    {
        ApiVersion = kind == JobKind.Training ? "batch/v1" : "apps/v1",
        Kind = kind == JobKind.Training ? "Job" : "Deployment",
        Name = owner.Name,
        Uid = owner.Uid,
    };

    private static V1PodTemplateSpec PodTemplate(JobSpec spec, KubernetesJobRunnerOptions options, string restartPolicy) => new()
    {
        Metadata = new V1ObjectMeta { Labels = Labels(spec) },
        Spec = new V1PodSpec
        {
            RestartPolicy = restartPolicy,
            ServiceAccountName = string.IsNullOrWhiteSpace(options.ServiceAccountName) ? null : options.ServiceAccountName,
            AutomountServiceAccountToken = false,
            TerminationGracePeriodSeconds = options.TerminationGracePeriodSeconds,
            ImagePullSecrets = options.ImagePullSecrets.Count == 0
                ? null
                : options.ImagePullSecrets.Select(s => new V1LocalObjectReference { Name = s }).ToList(),
            SecurityContext = new V1PodSecurityContext
            {
                RunAsNonRoot = true,
                RunAsUser = options.RunAsUser,
                RunAsGroup = options.RunAsUser,
                SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
            },
            Containers =
            [
                new V1Container
                {
                    Name = ContainerName,
                    Image = options.Image,
                    ImagePullPolicy = options.ImagePullPolicy,
                    Args = [.. spec.Arguments],
                    Env = Environment(spec, options),
                    Resources = Resources(spec.Resources, options.Resources),
                    // A failed container's last log lines become its termination message: the reason a Job failed.
                    TerminationMessagePolicy = "FallbackToLogsOnError",
                    SecurityContext = new V1SecurityContext
                    {
                        AllowPrivilegeEscalation = false,
                        Capabilities = new V1Capabilities { Drop = ["ALL"] },
                    },
                },
            ],
        },
    };

    private static List<V1EnvVar> Environment(JobSpec spec, KubernetesJobRunnerOptions options)
    {
        var env = new List<V1EnvVar>
        {
            new() { Name = JobNameVariable, Value = spec.Name },
            new()
            {
                Name = ReplicaVariable,
                ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } },
            },
        };
        foreach (var (name, value) in spec.Environment)
        {
            if (name is JobNameVariable or ReplicaVariable) continue;
            env.Add(options.IsSecretVariable(name)
                ? new V1EnvVar
                {
                    Name = name,
                    ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName(spec.Name), Key = name } },
                }
                : new V1EnvVar { Name = name, Value = value });
        }
        return env;
    }

    private static V1ResourceRequirements Resources(JobResources? wanted, KubernetesResourceOptions defaults)
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        var limits = new Dictionary<string, ResourceQuantity>();
        Add(requests, "cpu", wanted?.CpuRequest, defaults.CpuRequest);
        Add(requests, "memory", wanted?.MemoryRequest, defaults.MemoryRequest);
        Add(limits, "cpu", wanted?.CpuLimit, defaults.CpuLimit);
        Add(limits, "memory", wanted?.MemoryLimit, defaults.MemoryLimit);
        // A default limit below the job's own request would be refused: the limit follows the request then.
        RaiseDefaultLimit("cpu", wanted?.CpuLimit);
        RaiseDefaultLimit("memory", wanted?.MemoryLimit);
        return new V1ResourceRequirements
        {
            Requests = requests.Count == 0 ? null : requests,
            Limits = limits.Count == 0 ? null : limits,
        };

        void RaiseDefaultLimit(string resource, string? wantedLimit)
        {
            if (string.IsNullOrWhiteSpace(wantedLimit)
                && requests.TryGetValue(resource, out var request) && limits.TryGetValue(resource, out var limit)
                && request.ToDecimal() > limit.ToDecimal())
                limits[resource] = request;
        }

        static void Add(Dictionary<string, ResourceQuantity> into, string resource, string? wanted, string? fallback)
        {
            var quantity = string.IsNullOrWhiteSpace(wanted) ? fallback : wanted;
            if (!string.IsNullOrWhiteSpace(quantity)) into[resource] = new ResourceQuantity(quantity);
        }
    }
}
