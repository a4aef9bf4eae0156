using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Streaming;

/// <summary>
/// The one place that builds the Confluent.Kafka client configurations of the platform's own
/// long-lived clients (control logger, shared producer, jobs): the bootstrap address, the settings
/// every client shares, and then any extra librdkafka settings (e.g. an external cluster's
/// <c>security.protocol</c>, <c>sasl.*</c>, <c>ssl.*</c>), which win over the defaults.
/// </summary>
public static class KafkaClientConfig
{
    /// <summary>
    /// The default <c>fetch.wait.max.ms</c> of KafkaMl's consumers. The embedded (mock) broker answers
    /// an empty fetch only after this wait, and a record arriving meanwhile waits with it, so it bounds
    /// how quickly a consumer sees a new message; 10 ms keeps reactions quick at a negligible cost.
    /// </summary>
    public const int DefaultFetchWaitMaxMs = 10;

    /// <summary>
    /// A consumer in <paramref name="groupId"/> that starts from the earliest offset when the group has
    /// none and commits, every second and on close, only the offsets the caller stored with
    /// <c>StoreOffset</c> once its work was done (at-least-once; <c>enable.auto.offset.store=false</c>).
    /// </summary>
    public static ConsumerConfig Consumer(
        string bootstrapServers, string groupId, string clientId,
        int fetchWaitMaxMs = DefaultFetchWaitMaxMs,
        IEnumerable<KeyValuePair<string, string>>? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        var config = new ConsumerConfig
        {
            GroupId = groupId,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 1_000,
            EnableAutoOffsetStore = false,
            FetchWaitMaxMs = fetchWaitMaxMs,
            SessionTimeoutMs = 10_000,
            HeartbeatIntervalMs = 1_000,
        };
        return Apply(config, bootstrapServers, clientId, settings);
    }

    /// <summary>
    /// A producer that waits for every in-sync replica (<c>acks=all</c>), is idempotent, and gives up on
    /// a message after <paramref name="messageTimeoutMs"/> (instead of librdkafka's 5 minutes), so a
    /// caller waiting for a delivery hears about an unreachable cluster in bounded time.
    /// </summary>
    public static ProducerConfig Producer(
        string bootstrapServers, string clientId,
        int messageTimeoutMs = 30_000,
        IEnumerable<KeyValuePair<string, string>>? settings = null)
    {
        var config = new ProducerConfig
        {
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 1,
            MessageTimeoutMs = messageTimeoutMs,
        };
        return Apply(config, bootstrapServers, clientId, settings);
    }

    /// <summary>
    /// The <c>fetch.wait.max.ms</c> of latency-sensitive consumers (streaming inference) against the embedded
    /// broker, which answers an empty fetch only when this wait is over (a record arriving meanwhile waits with
    /// it). Measured: 1 ms gives a ~1.5 ms produce→consume round trip at low rate, at the price of ~1,000 empty
    /// fetches per second per idle consumer; 0 ms is marginally quicker but a busy poll. A real Kafka broker
    /// answers as soon as data arrives, so against one a long wait (e.g. 100 ms) costs no latency.
    /// </summary>
    public const int LowLatencyFetchWaitMaxMs = 1;

    /// <summary>
    /// A <see cref="Consumer(string, string, string, int, IEnumerable{KeyValuePair{string, string}}?)"/> for a
    /// stream processor that must react within milliseconds (an inference replica): <c>fetch.wait.max.ms</c>
    /// <see cref="LowLatencyFetchWaitMaxMs"/>, Nagle off, and subscribing creates a missing topic where the
    /// cluster allows it. Same at-least-once offset handling; <paramref name="settings"/> still win.
    /// </summary>
    public static ConsumerConfig LowLatencyConsumer(
        string bootstrapServers, string groupId, string clientId,
        IEnumerable<KeyValuePair<string, string>>? settings = null,
        int fetchWaitMaxMs = LowLatencyFetchWaitMaxMs)
    {
        var config = Consumer(bootstrapServers, groupId, clientId, fetchWaitMaxMs);
        config.SocketNagleDisable = true;
        config.AllowAutoCreateTopics = true;
        return Override(config, settings);
    }

    /// <summary>
    /// <c>session.timeout.ms</c> of inference replicas against a real cluster: the lowest a Kafka broker accepts by
    /// default (<c>group.min.session.timeout.ms</c> = 6 s), so a replica killed without leaving the group has its
    /// partitions taken over about 6 s later (librdkafka's default is 45 s).
    /// </summary>
    public const int ReplicaSessionTimeoutMs = 6_000;

    /// <summary>
    /// <c>session.timeout.ms</c> of inference replicas against the embedded broker. Its group coordinator (librdkafka's
    /// mock cluster) holds every rebalance round open for the session timeout less one second, whoever has rejoined, and
    /// drops a silent member after the session timeout: measured, 3 s gives a joining replica its partitions ~4 s after
    /// it subscribes (two cooperative rounds of ~2 s) and a SIGKILLed replica's partitions a new owner ~5 s after the kill,
    /// where 6 s takes ~10 s and ~11 s.
    /// </summary>
    public const int EmbeddedReplicaSessionTimeoutMs = 3_000;

    /// <summary>
    /// The embedded broker's heartbeat interval for consumer-protocol (KIP-848) groups, which replicas on it use: each
    /// heartbeat carries assignment changes, so a joining replica gets its partitions within about two intervals
    /// (measured 0.65 s for a second replica, against 5.2 s for the classic protocol's two cooperative rounds).
    /// </summary>
    public const int EmbeddedConsumerGroupHeartbeatMs = 500;

    /// <summary>
    /// A group protocol by the name settings and options give it (<c>KafkaMl:Kafka:GroupProtocol</c>,
    /// <c>infer --group-protocol</c>): <c>consumer</c> or <c>classic</c>, any case; null for anything else.
    /// </summary>
    public static GroupProtocol? ParseGroupProtocol(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "consumer" => GroupProtocol.Consumer,
        "classic" => GroupProtocol.Classic,
        _ => null,
    };

    /// <summary>
    /// The consumer of an inference replica: a <see cref="LowLatencyConsumer"/> with the cooperative-sticky assignor (a
    /// joining or leaving replica moves only the partitions concerned; the others keep consuming through the rebalance),
    /// <paramref name="sessionTimeoutMs"/>, and static group membership when <paramref name="groupInstanceId"/> is given
    /// (a restarted replica with the same id gets its partitions back without a rebalance, on brokers that implement
    /// it). <paramref name="protocol"/> <see cref="GroupProtocol.Consumer"/> (KIP-848) leaves assignment and timings to the
    /// coordinator instead. <paramref name="settings"/> still win.
    /// </summary>
    public static ConsumerConfig ReplicaConsumer(
        string bootstrapServers, string groupId, string clientId,
        string? groupInstanceId = null,
        int sessionTimeoutMs = ReplicaSessionTimeoutMs,
        IEnumerable<KeyValuePair<string, string>>? settings = null,
        int fetchWaitMaxMs = LowLatencyFetchWaitMaxMs,
        GroupProtocol protocol = GroupProtocol.Classic)
    {
        var config = LowLatencyConsumer(bootstrapServers, groupId, clientId, settings: null, fetchWaitMaxMs);
        config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        config.SessionTimeoutMs = sessionTimeoutMs;
        config.HeartbeatIntervalMs = Math.Min(config.HeartbeatIntervalMs ?? 1_000, Math.Max(100, sessionTimeoutMs / 3));
        config.GroupInstanceId = string.IsNullOrWhiteSpace(groupInstanceId) ? null : groupInstanceId;
        if (protocol == GroupProtocol.Consumer)
        {
            // KIP-848: the coordinator assigns (incrementally) and sets the session timeout and heartbeat interval;
            // librdkafka refuses these client-side settings under this protocol.
            config.GroupProtocol = GroupProtocol.Consumer;
            config.PartitionAssignmentStrategy = null;
            config.SessionTimeoutMs = null;
            config.HeartbeatIntervalMs = null;
        }
        return Override(config, settings);
    }

    /// <summary>
    /// A <see cref="Producer(string, string, int, IEnumerable{KeyValuePair{string, string}}?)"/> that sends at
    /// once (<c>linger.ms</c> <paramref name="lingerMs"/>, 0 by default; librdkafka still batches whatever queues
    /// up while a request is in flight) with Nagle off: for answers someone is waiting for (predictions).
    /// </summary>
    public static ProducerConfig LowLatencyProducer(
        string bootstrapServers, string clientId,
        int lingerMs = 0,
        int messageTimeoutMs = 30_000,
        IEnumerable<KeyValuePair<string, string>>? settings = null)
    {
        var config = Producer(bootstrapServers, clientId, messageTimeoutMs);
        config.LingerMs = lingerMs;
        config.SocketNagleDisable = true;
        return Override(config, settings);
    }

    /// <summary>
    /// A <see cref="Producer(string, string, int, IEnumerable{KeyValuePair{string, string}}?)"/> for sending a data
    /// stream as fast as the broker takes it (a sink): batches of up to 5 ms, a queue of up to a million messages
    /// (1 GiB), two minutes per message before giving up, and delivery reports without the message copies
    /// (topic, partition, offset and error are always reported; the rest only costs copies).
    /// </summary>
    public static ProducerConfig BulkProducer(
        string bootstrapServers, string clientId,
        IEnumerable<KeyValuePair<string, string>>? settings = null)
    {
        var config = Producer(bootstrapServers, clientId, messageTimeoutMs: 120_000);
        config.LingerMs = 5;
        config.QueueBufferingMaxMessages = 1_000_000;
        config.QueueBufferingMaxKbytes = 1024 * 1024;
        config.DeliveryReportFields = "none";
        return Override(config, settings);
    }

    /// <summary>
    /// <see cref="Consumer(string, string, string, int, IEnumerable{KeyValuePair{string, string}}?)"/> for <paramref name="endpoint"/>,
    /// with its security settings.
    /// </summary>
    public static ConsumerConfig Consumer(KafkaEndpoint endpoint, string groupId, string clientId, int fetchWaitMaxMs = DefaultFetchWaitMaxMs) =>
        Consumer(endpoint.BootstrapServers, groupId, clientId, fetchWaitMaxMs, KafkaSecurity.ClientSettings(endpoint.Security));

    /// <summary>
    /// <see cref="Producer(string, string, int, IEnumerable{KeyValuePair{string, string}}?)"/> for <paramref name="endpoint"/>,
    /// with its security settings.
    /// </summary>
    public static ProducerConfig Producer(KafkaEndpoint endpoint, string clientId, int messageTimeoutMs = 30_000) =>
        Producer(endpoint.BootstrapServers, clientId, messageTimeoutMs, KafkaSecurity.ClientSettings(endpoint.Security));

    /// <summary>An admin client (metadata, topics); <paramref name="settings"/> (e.g. security) win over the defaults.</summary>
    public static AdminClientConfig Admin(
        string bootstrapServers, string clientId,
        IEnumerable<KeyValuePair<string, string>>? settings = null) =>
        Apply(new AdminClientConfig(), bootstrapServers, clientId, settings);

    /// <summary>An admin client (metadata, topics) for <paramref name="endpoint"/>, with its security settings.</summary>
    public static AdminClientConfig Admin(KafkaEndpoint endpoint, string clientId) =>
        Admin(endpoint.BootstrapServers, clientId, KafkaSecurity.ClientSettings(endpoint.Security));

    /// <summary>Maps a librdkafka log level to a .NET one (clients route librdkafka's log lines to an <see cref="ILogger"/>, never to the console).</summary>
    public static LogLevel ToLogLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    /// <summary>Writes one librdkafka log line to <paramref name="logger"/> (null drops it) at its <see cref="ToLogLevel"/>.</summary>
    public static void Log(ILogger? logger, LogMessage log) =>
        logger?.Log(ToLogLevel(log.Level), "librdkafka {Facility}: {Message}", log.Facility, log.Message);

    private static T Apply<T>(T config, string bootstrapServers, string clientId, IEnumerable<KeyValuePair<string, string>>? settings)
        where T : ClientConfig
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrapServers);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        config.BootstrapServers = bootstrapServers;
        config.ClientId = clientId;
        config.SocketKeepaliveEnable = true;
        // Reconnect quickly after a broker restart, but do not hammer an absent one.
        config.ReconnectBackoffMs = 100;
        config.ReconnectBackoffMaxMs = 5_000;
        return Override(config, settings);
    }

    private static T Override<T>(T config, IEnumerable<KeyValuePair<string, string>>? settings)
        where T : ClientConfig
    {
        foreach (var (key, value) in settings ?? []) config.Set(key, value);
        return config;
    }
}
