using System.Text.RegularExpressions;

namespace KafkaMl.Core.Streaming;

/// <summary>
/// The platform's topic names (the data topic of a deployment, the dead-letter topic of an inference input)
/// and Kafka's own rules for topic names, checked before anything is created or started.
/// </summary>
public static partial class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>The data topic a deployment's training data goes to when no other topic is named: <c>kafkaml-data-&lt;id&gt;</c>.</summary>
    public static string DeploymentData(long deploymentId) => $"kafkaml-data-{deploymentId}";

    /// <summary>Where an inference sets aside the input messages it cannot predict: <c>&lt;input topic&gt;.dlq</c>.</summary>
    public static string DeadLetter(string inputTopic) => $"{inputTopic}.dlq";

    /// <summary>Why Kafka would reject <paramref name="name"/>, or null when it is a legal topic name.</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "A topic name is required.";
        if (name.Length > MaxLength) return $"A topic name has at most {MaxLength} characters; '{name[..20]}…' has {name.Length}.";
        if (name is "." or "..") return $"'{name}' is not a legal topic name.";
        if (!Legal().IsMatch(name)) return $"'{name}' has characters Kafka rejects: use only letters, digits, '.', '_' and '-'.";
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex Legal();
}
