using System.Text.Json.Nodes;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Sinks;

/// <summary>Where and how a <see cref="KafkaSink"/> sends a data stream (the format's own config is passed separately).</summary>
public sealed record KafkaSinkOptions
{
    /// <summary>Kafka bootstrap servers, e.g. <c>127.0.0.1:9092</c>.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>The data topic.</summary>
    public required string Topic { get; init; }

    /// <summary>The deployment the data is for (the control message's key).</summary>
    public required long DeploymentId { get; init; }

    /// <summary>The control topic (Kafka-ML's default, <c>KAFKA_ML_CONTROL_TOPIC</c>).</summary>
    public string ControlTopic { get; init; } = KafkaOptions.DefaultControlTopic;

    public string Description { get; init; } = "";

    /// <summary>Share of the messages the training job keeps for validation, in [0, 1).</summary>
    public double ValidationRate { get; init; }

    /// <summary>Share of the messages the training job keeps for testing, in [0, 1).</summary>
    public double TestRate { get; init; }

    /// <summary>
    /// The partition to write to; null spreads the messages over all partitions in consecutive blocks
    /// (ignoring the label key, so no partition holds one class only). Set one partition to keep the
    /// send order in the control message's ranges.
    /// </summary>
    public int? Partition { get; init; }

    /// <summary>
    /// An online (unbounded) stream, Kafka-ML's <c>OnlineRawSink</c>: the control message goes
    /// first — naming the topic, not ranges, with <c>incremental: true</c> — and the data follows for
    /// as long as the producer runs; completing sends no second control message.
    /// </summary>
    public bool Online { get; init; }

    /// <summary>
    /// Where <see cref="KafkaSink.SendUnlabelled"/> writes unlabelled samples (Kafka-ML's <c>unsupervised_topic</c>); null
    /// uses <see cref="DefaultUnsupervisedTopic"/>. Setting it on an <see cref="Online"/> sink makes the stream
    /// semi-supervised the Kafka-ML way: the labelled samples go first and are measured, and the control message (their
    /// ranges, this bare topic, <c>incremental: true</c>) goes before the first unlabelled one.
    /// </summary>
    public string? UnsupervisedTopic { get; init; }

    /// <summary>The unsupervised topic of data topic <paramref name="topic"/> when none is given: <c>&lt;topic&gt;-unlabelled</c>.</summary>
    public static string DefaultUnsupervisedTopic(string topic) => topic + "-unlabelled";

    /// <summary>The topic unlabelled samples go to.</summary>
    public string UnlabelledTopic => UnsupervisedTopic ?? DefaultUnsupervisedTopic(Topic);

    /// <summary><c>dataset_restrictions</c> to carry in the control message (null: <c>{}</c>).</summary>
    public JsonNode? DatasetRestrictions { get; init; }

    /// <summary>Receives progress every <see cref="ProgressInterval"/> messages and on completion.</summary>
    public IProgress<SinkProgress>? Progress { get; init; }

    /// <summary>Messages between progress reports.</summary>
    public int ProgressInterval { get; init; } = 4096;

    /// <summary>Extra librdkafka producer settings (e.g. <c>linger.ms</c>, <c>security.protocol</c>); they win over the sink's defaults.</summary>
    public IReadOnlyDictionary<string, string>? ProducerSettings { get; init; }

    /// <summary>Receives librdkafka's log lines and client errors; null drops them (nothing is written to the console).</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Every reason these options cannot work (empty when they can).</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(BootstrapServers)) problems.Add("Bootstrap servers are required.");
        if (TopicNames.Problem(Topic) is { } topic) problems.Add($"Data topic: {topic}");
        if (TopicNames.Problem(ControlTopic) is { } control) problems.Add($"Control topic: {control}");
        if (Topic == ControlTopic) problems.Add("The data topic and the control topic must differ.");
        if (UnsupervisedTopic is not null && TopicNames.Problem(UnsupervisedTopic) is { } unsupervised) problems.Add($"Unsupervised topic: {unsupervised}");
        else if (UnlabelledTopic == Topic || UnlabelledTopic == ControlTopic) problems.Add("The unsupervised topic must differ from the data topic and the control topic.");
        if (DeploymentId < 0) problems.Add($"The deployment id {DeploymentId} is negative.");
        if (double.IsNaN(ValidationRate) || ValidationRate is < 0 or >= 1) problems.Add($"The validation rate {ValidationRate} is outside [0, 1).");
        if (double.IsNaN(TestRate) || TestRate is < 0 or >= 1) problems.Add($"The test rate {TestRate} is outside [0, 1).");
        if (ValidationRate + TestRate >= 1) problems.Add("The validation and test rates must sum to less than 1.");
        if (Partition is < 0) problems.Add($"The partition {Partition} is negative.");
        if (ProgressInterval < 1) problems.Add("The progress interval must be at least one message.");
        return problems;
    }
}
