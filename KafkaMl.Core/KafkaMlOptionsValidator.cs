using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Options;

namespace KafkaMl.Core;

/// <summary>Rejects a configuration the platform cannot run with, at start rather than at first use.</summary>
public sealed class KafkaMlOptionsValidator : IValidateOptions<KafkaMlOptions>
{
    public static readonly string[] Runners = ["local", "kubernetes"];

    public ValidateOptionsResult Validate(string? name, KafkaMlOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDir))
            failures.Add("KafkaMl:DataDir must name a directory.");
        if (!Runners.Contains(options.Runner, StringComparer.OrdinalIgnoreCase))
            failures.Add($"KafkaMl:Runner must be one of {string.Join(", ", Runners)}; got '{options.Runner}'.");
        if (options.Kafka.EmbeddedPort is < 0 or > 65535)
            failures.Add($"KafkaMl:Kafka:EmbeddedPort must be 0-65535; got {options.Kafka.EmbeddedPort}.");
        if (TopicNames.Problem(options.Kafka.ControlTopic) is { } topicProblem)
            failures.Add($"KafkaMl:Kafka:ControlTopic: {topicProblem}");
        if (options.Kafka.TopicPartitions is < 1 or > TopicCreator.MaxPartitions)
            failures.Add($"KafkaMl:Kafka:TopicPartitions must be 1-{TopicCreator.MaxPartitions}; got {options.Kafka.TopicPartitions}.");
        if (!string.IsNullOrWhiteSpace(options.Kafka.GroupProtocol) && KafkaClientConfig.ParseGroupProtocol(options.Kafka.GroupProtocol) is null)
            failures.Add($"KafkaMl:Kafka:GroupProtocol must be consumer or classic; got '{options.Kafka.GroupProtocol}'.");
        if (options.Kafka.TopicReplicationFactor < 1)
            failures.Add($"KafkaMl:Kafka:TopicReplicationFactor must be at least 1; got {options.Kafka.TopicReplicationFactor}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
