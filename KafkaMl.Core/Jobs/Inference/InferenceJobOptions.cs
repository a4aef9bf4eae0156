using System.Text.Json.Nodes;
using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Core.Jobs.Inference;

/// <summary>
/// What one inference replica (the <c>infer</c> verb) was asked to serve: an inference of the portal
/// (<see cref="InferenceId"/>), or — without a portal — a model script, its weights and the topics.
/// </summary>
public sealed record InferenceJobOptions
{
    /// <summary>The portal's inference to serve; null: serve the files below without a portal.</summary>
    public int? InferenceId { get; init; }

    public required Uri Portal { get; init; }

    /// <summary>The job's token for the portal (never logged).</summary>
    public string? Token { get; init; }

    /// <summary>Kafka; null: the portal's <c>/api/status</c> says.</summary>
    public string? BootstrapServers { get; init; }

    /// <summary>This replica's name: an index, or the pod name on Kubernetes.</summary>
    public string Replica { get; init; } = "0";

    public int TorchThreads { get; init; } = 1;

    public int MaxBatch { get; init; } = 256;

    public int LingerMs { get; init; }

    /// <summary><c>fetch.wait.max.ms</c>; null: low latency for the embedded broker, <see cref="ExternalFetchWaitMs"/> for a real cluster.</summary>
    public int? FetchWaitMs { get; init; }

    /// <summary>
    /// Whether Kafka is the portal's embedded broker (its <c>/api/status</c> says; null when unknown, e.g. without a
    /// portal). It sets the group membership: the embedded broker gets the short
    /// <see cref="KafkaClientConfig.EmbeddedReplicaSessionTimeoutMs"/> and dynamic members (its coordinator does not
    /// implement static membership); a real cluster gets <see cref="KafkaClientConfig.ReplicaSessionTimeoutMs"/> and
    /// static members named by <see cref="InferenceEngineOptions.StaticMemberId"/>; unknown gets the former's timeout
    /// with dynamic members.
    /// </summary>
    public bool? EmbeddedBroker { get; init; }

    /// <summary>
    /// The consumer group protocol; null: KIP-848's consumer protocol on the embedded broker (partitions move member by
    /// member within a heartbeat or two), the classic one elsewhere (brokers before Kafka 4.0 lack the other).
    /// </summary>
    public GroupProtocol? GroupProtocol { get; init; }

    /// <summary>Time between stats reports and stats lines.</summary>
    public TimeSpan StatsInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often a replica of a portal's inference asks which model version to serve (<see cref="VersionFollower"/>): a
    /// new version is served about this long after it is published, plus its load.
    /// </summary>
    public TimeSpan VersionPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>librdkafka settings for the consumer and the producer.</summary>
    public IReadOnlyDictionary<string, string> KafkaSettings { get; init; } = new Dictionary<string, string>();

    public string? ModelScript { get; init; }

    public string? Weights { get; init; }

    public string? Scaler { get; init; }

    public string? Loss { get; init; }

    public string? ModelName { get; init; }

    public string InputFormat { get; init; } = RawFormat.FormatName;

    public JsonObject InputConfig { get; init; } = [];

    public string? InputTopic { get; init; }

    public string? OutputTopic { get; init; }

    public string? Group { get; init; }

    /// <summary><c>fetch.wait.max.ms</c> against an external cluster (which answers a fetch as soon as data arrives).</summary>
    public const int ExternalFetchWaitMs = 100;

    /// <summary>The engine's options for the streams found.</summary>
    public InferenceEngineOptions EngineOptions(string bootstrap, string input, string output, string group, string modelName) => new()
    {
        BootstrapServers = bootstrap,
        InputTopic = input,
        OutputTopic = output,
        ConsumerGroup = group,
        ModelName = modelName,
        Replica = Replica,
        MaxBatch = MaxBatch,
        LingerMs = LingerMs,
        FetchWaitMaxMs = FetchWaitMs ?? KafkaClientConfig.LowLatencyFetchWaitMaxMs,
        KafkaSettings = KafkaSettings,
        SessionTimeoutMs = EmbeddedBroker == true ? KafkaClientConfig.EmbeddedReplicaSessionTimeoutMs : KafkaClientConfig.ReplicaSessionTimeoutMs,
        GroupInstanceId = EmbeddedBroker == false ? InferenceEngineOptions.StaticMemberId(group, Replica) : null,
        GroupProtocol = GroupProtocol ?? (EmbeddedBroker == true ? Confluent.Kafka.GroupProtocol.Consumer : Confluent.Kafka.GroupProtocol.Classic),
    };
}
