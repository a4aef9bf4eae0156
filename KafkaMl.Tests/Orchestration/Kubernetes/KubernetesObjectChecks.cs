using k8s;
using k8s.Models;
using KafkaMl.Core.Orchestration.Kubernetes;

namespace KafkaMl.Tests.Orchestration.Kubernetes;

/// <summary>
/// Sanity checks of a Kubernetes object as JSON, against what the API server's schema requires of it: the object
/// survives a round trip through KubernetesClient's typed model unchanged (no field the schema lacks, none of the wrong
/// type), and its required fields are present and well-formed (names, labels, selectors, containers, env, ports,
/// probes, volumes, quantities, RBAC rules). The one place both the runner's objects (JSON as posted) and the
/// <c>k8s/</c> manifests (YAML as rendered, loaded strictly) are checked.
/// </summary>
public static class KubernetesObjectChecks
{
    /// <summary>
    /// The objects of a multi-document YAML stream, each as KubernetesClient's typed model of its apiVersion/kind. Strict:
    /// a field the schema lacks, a value of the wrong type or an unknown kind throws, naming it.
    /// </summary>
    public static IReadOnlyList<IKubernetesObject> LoadStrict(string yaml) =>
        [.. KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true).Cast<IKubernetesObject>()];

    /// <summary>What is wrong with a typed object (e.g. from <see cref="LoadStrict"/>); empty when nothing is.</summary>
    public static IReadOnlyList<string> Problems(IKubernetesObject typed) =>
        Problems(JsonNode.Parse(KubernetesJson.Serialize(typed))!.AsObject());

    /// <summary>What is wrong with <paramref name="json"/>; empty when nothing is.</summary>
    public static IReadOnlyList<string> Problems(JsonObject json)
    {
        var problems = new List<string>();
        var apiVersion = json["apiVersion"]?.GetValue<string>();
        var kind = json["kind"]?.GetValue<string>();
        if (string.IsNullOrEmpty(apiVersion)) problems.Add("apiVersion: Required value");
        if (string.IsNullOrEmpty(kind)) problems.Add("kind: Required value");

        switch ((apiVersion, kind))
        {
            case ("v1", "Namespace"):
                RoundTrip<V1Namespace>(json, problems);
                Metadata(json["metadata"], problems, namespaced: false);
                break;
            case ("v1", "ServiceAccount"):
                RoundTrip<V1ServiceAccount>(json, problems);
                Metadata(json["metadata"], problems);
                break;
            case ("v1", "ConfigMap"):
                RoundTrip<V1ConfigMap>(json, problems);
                Metadata(json["metadata"], problems);
                ConfigKeys(json["data"], "data", problems);
                break;
            case ("v1", "PersistentVolumeClaim"):
                RoundTrip<V1PersistentVolumeClaim>(json, problems);
                Metadata(json["metadata"], problems);
                Claim(json["spec"], "spec", problems);
                break;
            case ("v1", "Service"):
                RoundTrip<V1Service>(json, problems);
                Metadata(json["metadata"], problems);
                Required(json, ["spec.ports[].port"], problems);
                Labels(json["spec"]?["selector"], "spec.selector", problems);
                break;
            case ("rbac.authorization.k8s.io/v1", "Role"):
                RoundTrip<V1Role>(json, problems);
                Metadata(json["metadata"], problems);
                Required(json, ["rules[].verbs", "rules[].resources"], problems);
                break;
            case ("rbac.authorization.k8s.io/v1", "RoleBinding"):
                RoundTrip<V1RoleBinding>(json, problems);
                Metadata(json["metadata"], problems);
                Required(json, ["roleRef.apiGroup", "roleRef.kind", "roleRef.name", "subjects[].kind", "subjects[].name"], problems);
                break;
            case ("networking.k8s.io/v1", "NetworkPolicy"):
                RoundTrip<V1NetworkPolicy>(json, problems);
                Metadata(json["metadata"], problems);
                Required(json, ["spec.podSelector", "spec.ingress[].ports[].port", "spec.egress[].ports[].port"], problems);
                break;
            case ("apps/v1", "StatefulSet"):
                RoundTrip<V1StatefulSet>(json, problems);
                Metadata(json["metadata"], problems);
                Required(json, ["spec.serviceName", "spec.volumeClaimTemplates[].metadata.name"], problems);
                Selector(json, problems);
                foreach (var claim in json["spec"]?["volumeClaimTemplates"] as JsonArray ?? []) Claim(claim?["spec"], "spec.volumeClaimTemplates[].spec", problems);
                PodTemplate(json["spec"]?["template"], ["Always"], problems,
                    extraVolumes: (json["spec"]?["volumeClaimTemplates"] as JsonArray ?? []).Select(c => c?["metadata"]?["name"]?.GetValue<string>()));
                break;
            case ("batch/v1", "Job"):
                RoundTrip<V1Job>(json, problems);
                Metadata(json["metadata"], problems);
                if (json["spec"]?["backoffLimit"]?.GetValue<int>() is < 0) problems.Add("spec.backoffLimit: must be non-negative");
                PodTemplate(json["spec"]?["template"], ["Never", "OnFailure"], problems);
                break;
            case ("apps/v1", "Deployment"):
                RoundTrip<V1Deployment>(json, problems);
                Metadata(json["metadata"], problems);
                if (json["spec"]?["replicas"]?.GetValue<int>() is < 0) problems.Add("spec.replicas: must be non-negative");
                Selector(json, problems);
                PodTemplate(json["spec"]?["template"], ["Always"], problems);
                break;
            case ("v1", "Secret"):
                RoundTrip<V1Secret>(json, problems);
                Metadata(json["metadata"], problems);
                ConfigKeys(json["data"], "data", problems);
                ConfigKeys(json["stringData"], "stringData", problems);
                foreach (var (key, value) in json["data"] as JsonObject ?? [])
                {
                    try
                    {
                        Convert.FromBase64String(value?.GetValue<string>() ?? "");
                    }
                    catch (FormatException)
                    {
                        problems.Add($"data[{key}]: not base64");
                    }
                }
                break;
            default:
                problems.Add($"unexpected object {apiVersion} {kind}");
                break;
        }
        return problems;
    }

    private static void RoundTrip<T>(JsonObject json, List<string> problems)
    {
        var typed = KubernetesJson.Deserialize<T>(json.ToJsonString());
        var again = JsonNode.Parse(KubernetesJson.Serialize(typed));
        if (!JsonNode.DeepEquals(Normalized(json), Normalized(again)))
            problems.Add($"the object does not survive a round trip through {typeof(T).Name}:\n sent {json.ToJsonString()}\n  got {again?.ToJsonString()}");
    }

    /// <summary>Quantities may come back in canonical form ("2Gi" stays, "0.5" becomes "500m"): compare by value.</summary>
    private static JsonNode? Normalized(JsonNode? node)
    {
        var copy = node?.DeepClone();
        foreach (var resources in Find(copy, "resources"))
        {
            foreach (var group in new[] { "requests", "limits" })
            {
                if (resources[group] is not JsonObject quantities) continue;
                foreach (var key in quantities.Select(q => q.Key).ToList())
                    quantities[key] = new ResourceQuantity(quantities[key]!.GetValue<string>()).ToDecimal().ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return copy;
    }

    private static IEnumerable<JsonObject> Find(JsonNode? node, string property)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj[property] is JsonObject found) yield return found;
                foreach (var (_, child) in obj)
                    foreach (var inner in Find(child, property)) yield return inner;
                break;
            case JsonArray array:
                foreach (var child in array)
                    foreach (var inner in Find(child, property)) yield return inner;
                break;
        }
    }

    private static void Metadata(JsonNode? metadata, List<string> problems, bool namespaced = true)
    {
        var name = metadata?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name) || name.Length > 253 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            problems.Add($"metadata.name: Invalid value '{name}'");
        if (namespaced && string.IsNullOrEmpty(metadata?["namespace"]?.GetValue<string>())) problems.Add("metadata.namespace: Required value");
        Labels(metadata?["labels"], "metadata.labels", problems);
    }

    private static void Labels(JsonNode? labels, string where, List<string> problems)
    {
        foreach (var (key, value) in labels as JsonObject ?? [])
        {
            if (KubernetesNames.LabelProblem(key, value?.GetValue<string>() ?? "") is { } problem) problems.Add($"{where}: {problem}");
        }
    }

    /// <summary>A workload's selector is given and matches its pod template's labels.</summary>
    private static void Selector(JsonObject json, List<string> problems)
    {
        var selector = json["spec"]?["selector"]?["matchLabels"] as JsonObject;
        if (selector is null || selector.Count == 0) problems.Add("spec.selector: Required value");
        var podLabels = json["spec"]?["template"]?["metadata"]?["labels"] as JsonObject;
        foreach (var (key, value) in selector ?? [])
        {
            if (podLabels?[key]?.GetValue<string>() != value?.GetValue<string>())
                problems.Add($"spec.template.metadata.labels: selector {key}={value} does not match template labels");
        }
    }

    /// <summary>
    /// Every node <paramref name="paths"/> name is present (dotted; <c>x[]</c> = each element of the optional array x,
    /// which may be absent or empty).
    /// </summary>
    private static void Required(JsonNode json, string[] paths, List<string> problems)
    {
        foreach (var path in paths)
        {
            IEnumerable<JsonNode?> nodes = [json];
            foreach (var part in path.Split('.'))
            {
                var each = part.EndsWith("[]", StringComparison.Ordinal);
                var name = each ? part[..^2] : part;
                var next = new List<JsonNode?>();
                foreach (var node in nodes)
                {
                    var child = node?[name];
                    if (each) next.AddRange(child as JsonArray ?? []);
                    else if (child is null) problems.Add($"{path}: Required value");
                    else next.Add(child);
                }
                nodes = next;
            }
        }
    }

    /// <summary>ConfigMap and Secret keys: what <c>envFrom</c> and volumes accept.</summary>
    private static void ConfigKeys(JsonNode? data, string where, List<string> problems)
    {
        foreach (var (key, _) in data as JsonObject ?? [])
        {
            if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                problems.Add($"{where}[{key}]: a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
        }
    }

    private static void Claim(JsonNode? spec, string where, List<string> problems)
    {
        if (spec?["accessModes"] is not JsonArray { Count: > 0 }) problems.Add($"{where}.accessModes: Required value");
        var storage = spec?["resources"]?["requests"]?["storage"]?.GetValue<string>();
        if (string.IsNullOrEmpty(storage)) problems.Add($"{where}.resources.requests.storage: Required value");
        else if (KubernetesJobRunnerOptionsValidator.QuantityProblem(storage) is { } problem) problems.Add($"{where}.resources.requests.storage: {problem}");
    }

    private static void PodTemplate(JsonNode? template, string[] restartPolicies, List<string> problems, IEnumerable<string?>? extraVolumes = null)
    {
        if (template is null)
        {
            problems.Add("spec.template: Required value");
            return;
        }
        Labels(template["metadata"]?["labels"], "spec.template.metadata.labels", problems);
        var pod = template["spec"];
        // Absent means Always, which workloads that restart their pods accept.
        var restartPolicy = pod?["restartPolicy"]?.GetValue<string>() ?? (restartPolicies.Contains("Always") ? "Always" : null);
        if (restartPolicy is null || !restartPolicies.Contains(restartPolicy))
            problems.Add($"spec.template.spec.restartPolicy: Unsupported value '{restartPolicy}': supported values: {string.Join(", ", restartPolicies)}");
        if (pod?["containers"] is not JsonArray { Count: > 0 } containers)
        {
            problems.Add("spec.template.spec.containers: Required value");
            return;
        }
        var volumes = (pod?["volumes"] as JsonArray ?? []).Select(v => v?["name"]?.GetValue<string>()).Concat(extraVolumes ?? []).ToHashSet();
        foreach (var container in containers)
        {
            var name = container?["name"]?.GetValue<string>();
            if (KubernetesNames.JobNameProblem(name) is not null) problems.Add($"containers[].name: Invalid value '{name}'");
            if (string.IsNullOrWhiteSpace(container?["image"]?.GetValue<string>())) problems.Add($"containers[{name}].image: Required value");
            Required(container!, ["ports[].containerPort", "volumeMounts[].name", "volumeMounts[].mountPath"], problems);
            var portNames = (container?["ports"] as JsonArray ?? []).Select(p => p?["name"]?.GetValue<string>()).Where(n => n is not null).ToHashSet();
            foreach (var probe in new[] { "readinessProbe", "livenessProbe", "startupProbe" })
            {
                if (container?[probe] is not { } check) continue;
                var port = check["httpGet"]?["port"] ?? check["tcpSocket"]?["port"];
                if (port is null && check["exec"] is null && check["grpc"] is null) problems.Add($"containers[{name}].{probe}: one handler with a port is required");
                if (port is JsonValue value && value.TryGetValue<string>(out var named) && !portNames.Contains(named))
                    problems.Add($"containers[{name}].{probe}: port '{named}' is not a named port of the container");
            }
            foreach (var mount in container?["volumeMounts"] as JsonArray ?? [])
            {
                var volume = mount?["name"]?.GetValue<string>();
                if (!volumes.Contains(volume)) problems.Add($"containers[{name}].volumeMounts[{volume}]: not found among the pod's volumes");
            }
            foreach (var env in container?["env"] as JsonArray ?? [])
            {
                var envName = env?["name"]?.GetValue<string>();
                if (string.IsNullOrEmpty(envName)) problems.Add($"containers[{name}].env[].name: Required value");
                if ((env?["value"] is not null) == (env?["valueFrom"] is not null))
                    problems.Add($"containers[{name}].env[{envName}]: exactly one of value and valueFrom must be set");
                if (env?["valueFrom"]?["secretKeyRef"] is { } secretRef
                    && (string.IsNullOrEmpty(secretRef["name"]?.GetValue<string>()) || string.IsNullOrEmpty(secretRef["key"]?.GetValue<string>())))
                    problems.Add($"containers[{name}].env[{envName}].valueFrom.secretKeyRef: name and key are required");
            }
            var resources = container?["resources"];
            foreach (var group in new[] { "requests", "limits" })
            {
                foreach (var (resource, quantity) in resources?[group] as JsonObject ?? [])
                {
                    if (KubernetesJobRunnerOptionsValidator.QuantityProblem(quantity?.GetValue<string>()) is { } problem)
                        problems.Add($"containers[{name}].resources.{group}.{resource}: {problem}");
                }
            }
            var requests = resources?["requests"] as JsonObject;
            foreach (var (resource, limit) in resources?["limits"] as JsonObject ?? [])
            {
                if (requests?[resource] is { } request
                    && new ResourceQuantity(request.GetValue<string>()).ToDecimal() > new ResourceQuantity(limit!.GetValue<string>()).ToDecimal())
                    problems.Add($"containers[{name}].resources.requests.{resource}: must be less than or equal to {resource} limit");
            }
        }
    }
}
