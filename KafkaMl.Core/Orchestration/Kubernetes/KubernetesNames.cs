using System.Text.RegularExpressions;

namespace KafkaMl.Core.Orchestration.Kubernetes;

/// <summary>
/// Kubernetes' naming rules. Every runner holds job names to them (the local runner too, where a name is also a
/// directory), so a <see cref="JobSpec"/> that runs locally runs on a cluster unchanged.
/// </summary>
public static partial class KubernetesNames
{
    /// <summary>Longest job name: a DNS label, and the value of the <c>kafkaml.io/job</c> label.</summary>
    public const int MaxJobNameLength = 63;

    /// <summary>Why <paramref name="name"/> cannot name a job (an RFC 1123 DNS label), or null when it can.</summary>
    public static string? JobNameProblem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "A job name must not be empty.";
        if (name.Length > MaxJobNameLength) return $"Job name '{name}' is longer than {MaxJobNameLength} characters.";
        return DnsLabel().IsMatch(name)
            ? null
            : $"Job name '{name}' must consist of lower-case letters, digits and '-', and start and end with a letter or digit.";
    }

    /// <summary>Throws <see cref="ArgumentException"/> when <paramref name="name"/> cannot name a job.</summary>
    public static void EnsureJobName(string? name, string parameterName = "name")
    {
        if (JobNameProblem(name) is { } problem) throw new ArgumentException(problem, parameterName);
    }

    /// <summary>Why <paramref name="key"/>=<paramref name="value"/> cannot be a Kubernetes label, or null when it can.</summary>
    public static string? LabelProblem(string key, string value)
    {
        var slash = key.IndexOf('/');
        var prefix = slash < 0 ? null : key[..slash];
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (prefix is not null && (prefix.Length > 253 || !DnsSubdomain().IsMatch(prefix)))
            return $"Label key '{key}' has an invalid prefix (a DNS subdomain is expected).";
        if (name.Length is 0 or > 63 || !LabelName().IsMatch(name))
            return $"Label key '{key}' must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.";
        if (value.Length > 63 || (value.Length > 0 && !LabelName().IsMatch(value)))
            return $"Label '{key}' has an invalid value '{value}' (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit).";
        return null;
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")]
    private static partial Regex LabelName();
}
