using k8s.Models;
using Microsoft.Extensions.Options;

namespace KafkaMl.Core.Orchestration.Kubernetes;

/// <summary>Rejects <c>KafkaMl:Kubernetes</c> settings the Kubernetes runner cannot work with, at start.</summary>
public sealed class KubernetesJobRunnerOptionsValidator : IValidateOptions<KubernetesJobRunnerOptions>
{
    public static readonly string[] PullPolicies = ["Always", "IfNotPresent", "Never"];

    public ValidateOptionsResult Validate(string? name, KubernetesJobRunnerOptions options)
    {
        const string section = KubernetesJobRunnerOptions.Section;
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Image))
            failures.Add($"{section}:{nameof(options.Image)} must name the KafkaMl image (the portal's own) that jobs run.");
        if (!PullPolicies.Contains(options.ImagePullPolicy, StringComparer.Ordinal))
            failures.Add($"{section}:{nameof(options.ImagePullPolicy)} must be one of {string.Join(", ", PullPolicies)}; got '{options.ImagePullPolicy}'.");
        if (!string.IsNullOrWhiteSpace(options.Host) && !Uri.TryCreate(options.Host, UriKind.Absolute, out _))
            failures.Add($"{section}:{nameof(options.Host)} must be an absolute URL; got '{options.Host}'.");
        if (!string.IsNullOrWhiteSpace(options.Namespace) && KubernetesNames.JobNameProblem(options.Namespace) is not null)
            failures.Add($"{section}:{nameof(options.Namespace)} '{options.Namespace}' is not a valid namespace name.");
        if (options.TtlSecondsAfterFinished < 0)
            failures.Add($"{section}:{nameof(options.TtlSecondsAfterFinished)} must not be negative.");
        if (options.ActiveDeadlineSeconds is <= 0)
            failures.Add($"{section}:{nameof(options.ActiveDeadlineSeconds)} must be positive when set.");
        if (options.TerminationGracePeriodSeconds < 0)
            failures.Add($"{section}:{nameof(options.TerminationGracePeriodSeconds)} must not be negative.");
        if (options.RunAsUser <= 0)
            failures.Add($"{section}:{nameof(options.RunAsUser)} must be a non-root user id.");
        foreach (var (key, value) in new Dictionary<string, string?>
        {
            [nameof(KubernetesResourceOptions.CpuRequest)] = options.Resources.CpuRequest,
            [nameof(KubernetesResourceOptions.CpuLimit)] = options.Resources.CpuLimit,
            [nameof(KubernetesResourceOptions.MemoryRequest)] = options.Resources.MemoryRequest,
            [nameof(KubernetesResourceOptions.MemoryLimit)] = options.Resources.MemoryLimit,
        })
        {
            if (QuantityProblem(value) is { } problem)
                failures.Add($"{section}:{nameof(options.Resources)}:{key}: {problem}");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Why <paramref name="quantity"/> is not a Kubernetes quantity (<c>250m</c>, <c>2</c>, <c>512Mi</c>), or null when it is (or is empty).</summary>
    public static string? QuantityProblem(string? quantity)
    {
        if (string.IsNullOrWhiteSpace(quantity)) return null;
        try
        {
            _ = new ResourceQuantity(quantity).ToDecimal();
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            return $"'{quantity}' is not a Kubernetes quantity (e.g. 250m, 2, 512Mi).";
        }
    }
}
