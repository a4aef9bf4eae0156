using KafkaMl.Core.Streaming;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Core.Inference;

/// <summary>Where an <see cref="InferenceEngine"/> reads, writes and reports, and how it batches.</summary>
public sealed record InferenceEngineOptions
{
    public required string BootstrapServers { get; init; }

    public required string InputTopic { get; init; }

    public required string OutputTopic { get; init; }

    /// <summary>The consumer group every replica of one inference shares, so the input partitions are spread over them.</summary>
    public required string ConsumerGroup { get; init; }

    /// <summary>The name carried in every prediction (<c>"model"</c>).</summary>
    public string ModelName { get; init; } = "model";

    /// <summary>This replica's name (in the stats reports and the client id): an index locally, the pod name on Kubernetes.</summary>
    public string Replica { get; init; } = "0";

    /// <summary>
    /// <c>session.timeout.ms</c> of the input consumer: how long the group waits for a replica that stopped without leaving
    /// (killed) before its partitions go to the others. <see cref="KafkaClientConfig.ReplicaSessionTimeoutMs"/> by default
    /// (a real cluster's minimum); <see cref="KafkaClientConfig.EmbeddedReplicaSessionTimeoutMs"/> suits the embedded broker.
    /// </summary>
    public int SessionTimeoutMs { get; init; } = KafkaClientConfig.ReplicaSessionTimeoutMs;

    /// <summary>
    /// The group protocol: <see cref="Confluent.Kafka.GroupProtocol.Classic"/> (cooperative-sticky, rebalanced in rounds
    /// with every member) by default; <see cref="Confluent.Kafka.GroupProtocol.Consumer"/> (KIP-848: the coordinator moves
    /// partitions member by member, with no group-wide rounds; Kafka 4.0+ and the embedded broker) where the broker has it.
    /// </summary>
    public Confluent.Kafka.GroupProtocol GroupProtocol { get; init; } = Confluent.Kafka.GroupProtocol.Classic;

    /// <summary>
    /// <c>group.instance.id</c> (static group membership), or null for a dynamic member. A static member that restarts
    /// within <see cref="SessionTimeoutMs"/> gets its partitions back without a rebalance; one that stops does not leave the
    /// group, so its partitions wait for the session timeout. Unique per live replica (a second member with the same id
    /// fences the first): <see cref="StaticMemberId"/> makes one from the group and a replica index.
    /// </summary>
    public string? GroupInstanceId { get; init; }

    /// <summary>The Kafka client id; by default <c>kafkaml-infer-&lt;group&gt;-r&lt;replica&gt;</c>.</summary>
    public string? ClientId { get; init; }

    /// <summary>
    /// Most messages predicted in one forward pass. Messages already waiting in the consumer's queue are
    /// taken up to this count (never waiting for more), so a lone message is predicted at once, alone.
    /// </summary>
    public int MaxBatch { get; init; } = 256;

    /// <summary>
    /// <c>fetch.wait.max.ms</c> of the input consumer. The embedded broker holds an empty fetch this long even when
    /// a record arrives meanwhile, so it bounds the latency there (1 ms by default); a real Kafka broker answers
    /// when data arrives, so against one a long wait (e.g. 100 ms) saves empty fetches at no latency cost.
    /// </summary>
    public int FetchWaitMaxMs { get; init; } = Streaming.KafkaClientConfig.LowLatencyFetchWaitMaxMs;

    /// <summary><c>linger.ms</c> of the prediction producer: 0 sends each prediction as soon as it is made.</summary>
    public int LingerMs { get; init; }

    /// <summary>How many recent deliveries the latency percentiles are computed over.</summary>
    public int LatencyWindow { get; init; } = 1024;

    /// <summary>How many recent predictions the stats report carries.</summary>
    public int RecentPredictions { get; init; } = 20;

    /// <summary>How long stopping (or a revocation) waits for predictions already produced to be delivered.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stopping replica waits for its consumer to leave the group. Its offsets are committed before, so a
    /// close that never returns (seen once on the embedded broker: a KIP-848 member fenced while stopping rejoined
    /// inside close) only delays the exit; the group drops the member after its session timeout.
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the consume loop blocks when the input is idle (also the latency of noticing a stop).</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Extra librdkafka settings for both clients (e.g. <c>security.protocol</c>); they win over the defaults.</summary>
    public IReadOnlyDictionary<string, string>? KafkaSettings { get; init; }

    /// <summary>Set when the replica serves one stage of an early-exit chain: when to answer, where to forward the rest.</summary>
    public ChainStageRole? Chain { get; init; }

    /// <summary><see cref="TopicNames.DeadLetter"/> of <see cref="InputTopic"/>.</summary>
    public string DeadLetterTopic => TopicNames.DeadLetter(InputTopic);

    /// <summary>
    /// The <see cref="GroupInstanceId"/> of replica <paramref name="replica"/> of <paramref name="consumerGroup"/>:
    /// <c>&lt;group&gt;-&lt;replica&gt;</c> when the replica's name is an index (stable across restarts, as the local
    /// runner gives), null otherwise (a pod name changes at every restart, so static membership would only delay
    /// stopping).
    /// </summary>
    public static string? StaticMemberId(string consumerGroup, string replica) =>
        replica.Length is > 0 and <= 6 && replica.All(char.IsAsciiDigit) ? $"{consumerGroup}-{replica}" : null;

    internal string EffectiveClientId => ClientId ?? $"kafkaml-infer-{ConsumerGroup}-r{Replica}";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(BootstrapServers);
        ArgumentException.ThrowIfNullOrWhiteSpace(ConsumerGroup);
        if (Streaming.TopicNames.Problem(InputTopic) is { } input) throw new ArgumentException($"Input topic: {input}");
        if (Streaming.TopicNames.Problem(OutputTopic) is { } output) throw new ArgumentException($"Output topic: {output}");
        if (Streaming.TopicNames.Problem(DeadLetterTopic) is { } dlq) throw new ArgumentException($"Dead-letter topic: {dlq}");
        if (string.Equals(InputTopic, OutputTopic, StringComparison.Ordinal))
            throw new ArgumentException($"The output topic must differ from the input topic ('{InputTopic}'): predictions would be read back as input.");
        if (MaxBatch < 1) throw new ArgumentException($"The batch size must be at least 1 (was {MaxBatch}).");
        if (FetchWaitMaxMs < 0) throw new ArgumentException($"fetch.wait.max.ms cannot be negative (was {FetchWaitMaxMs}).");
        if (LingerMs < 0) throw new ArgumentException($"linger.ms cannot be negative (was {LingerMs}).");
        if (LatencyWindow < 1) throw new ArgumentException($"The latency window must hold at least 1 sample (was {LatencyWindow}).");
        if (RecentPredictions < 0) throw new ArgumentException($"The recent predictions cannot be negative (was {RecentPredictions}).");
        if (SessionTimeoutMs < 1_000) throw new ArgumentException($"The session timeout must be at least 1000 ms (was {SessionTimeoutMs}).");
        if (string.IsNullOrWhiteSpace(Replica)) throw new ArgumentException("The replica needs a name (an index or the pod name).");
        Chain?.Validate();
    }
}
