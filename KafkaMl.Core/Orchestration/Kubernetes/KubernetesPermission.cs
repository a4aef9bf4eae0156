namespace KafkaMl.Core.Orchestration.Kubernetes;

/// <summary>One RBAC rule the Kubernetes runner needs in its namespace: API group (<c>""</c> = core), resource, verbs.</summary>
public sealed record KubernetesPermission(string ApiGroup, string Resource, IReadOnlyList<string> Verbs)
{
    /// <summary>
    /// Exactly what <see cref="KubernetesJobRunner"/> does against the API server — the Role of the portal's service
    /// account needs these rules and no more.
    /// </summary>
    public static IReadOnlyList<KubernetesPermission> RequiredByRunner { get; } =
    [
        new("batch", "jobs", ["create", "get", "delete"]),
        new("apps", "deployments", ["create", "get", "delete"]),
        new("apps", "deployments/scale", ["patch"]),
        new("", "secrets", ["create", "patch", "delete"]),
        new("", "pods", ["list"]),
        new("", "pods/log", ["get"]),
    ];
}
