using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using KafkaMl.Core.Orchestration.Kubernetes;

namespace KafkaMl.Tests.Runners;

/// <summary>
/// Sanity checks of a Kubernetes object as JSON, against what the API server's schema requires of it: the object
/// survives a round trip through KubernetesClient's typed model unchanged (no field the schema lacks, none of the wrong
/// type), and its required fields are present and well-formed (names, labels, selector, containers, env, quantities).
/// </summary>
public static class KubernetesObjectChecks
{
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
                var selector = json["spec"]?["selector"]?["matchLabels"] as JsonObject;
                if (selector is null || selector.Count == 0) problems.Add("spec.selector: Required value");
                var podLabels = json["spec"]?["template"]?["metadata"]?["labels"] as JsonObject;
                foreach (var (key, value) in selector ?? [])
                {
                    if (podLabels?[key]?.GetValue<string>() != value?.GetValue<string>())
                        problems.Add($"spec.template.metadata.labels: selector {key}={value} does not match template labels");
                }
                PodTemplate(json["spec"]?["template"], ["Always"], problems);
                break;
            case ("v1", "Secret"):
                RoundTrip<V1Secret>(json, problems);
                Metadata(json["metadata"], problems);
                foreach (var (key, value) in json["data"] as JsonObject ?? [])
                {
                    if (!key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                        problems.Add($"data[{key}]: a valid config key must consist of alphanumeric characters, '-', '_' or '.'");
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

    private static void Metadata(JsonNode? metadata, List<string> problems)
    {
        var name = metadata?["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name) || name.Length > 253 || !name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            problems.Add($"metadata.name: Invalid value '{name}'");
        if (string.IsNullOrEmpty(metadata?["namespace"]?.GetValue<string>())) problems.Add("metadata.namespace: Required value");
        Labels(metadata?["labels"], "metadata.labels", problems);
    }

    private static void Labels(JsonNode? labels, string where, List<string> problems)
    {
        foreach (var (key, value) in labels as JsonObject ?? [])
        {
            if (KubernetesNames.LabelProblem(key, value?.GetValue<string>() ?? "") is { } problem) problems.Add($"{where}: {problem}");
        }
    }

    private static void PodTemplate(JsonNode? template, string[] restartPolicies, List<string> problems)
    {
        if (template is null)
        {
            problems.Add("spec.template: Required value");
            return;
        }
        Labels(template["metadata"]?["labels"], "spec.template.metadata.labels", problems);
        var pod = template["spec"];
        var restartPolicy = pod?["restartPolicy"]?.GetValue<string>();
        if (restartPolicy is null || !restartPolicies.Contains(restartPolicy))
            problems.Add($"spec.template.spec.restartPolicy: Unsupported value '{restartPolicy}': supported values: {string.Join(", ", restartPolicies)}");
        if (pod?["containers"] is not JsonArray { Count: > 0 } containers)
        {
            problems.Add("spec.template.spec.containers: Required value");
            return;
        }
        foreach (var container in containers)
        {
            var name = container?["name"]?.GetValue<string>();
            if (KubernetesNames.JobNameProblem(name) is not null) problems.Add($"containers[].name: Invalid value '{name}'");
            if (string.IsNullOrWhiteSpace(container?["image"]?.GetValue<string>())) problems.Add($"containers[{name}].image: Required value");
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
