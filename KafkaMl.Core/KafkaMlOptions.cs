namespace KafkaMl.Core;

/// <summary>The <c>KafkaMl</c> configuration section: one options class, bound once and validated on start.</summary>
public sealed class KafkaMlOptions
{
    public const string Section = "KafkaMl";

    /// <summary>Where the SQLite database, Hangfire storage and job artefacts live.</summary>
    public string DataDir { get; set; } = "./data";

    /// <summary><c>local</c> (child processes) or <c>kubernetes</c>.</summary>
    public string Runner { get; set; } = "local";

    public KafkaOptions Kafka { get; set; } = new();

    /// <summary>The data directory as an absolute path (relative paths resolve against the working directory).</summary>
    public string DataDirFullPath => Path.GetFullPath(DataDir);
}

/// <summary>The <c>KafkaMl:Kafka</c> section: where the cluster is, and (inherited) what a secured one asks of clients.</summary>
public sealed class KafkaOptions : Streaming.KafkaSecurityOptions
{
    public const string DefaultControlTopic = "KAFKA_ML_CONTROL_TOPIC";

    /// <summary>Bootstrap servers of an external cluster; empty starts the embedded broker.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>Port the embedded broker listens on (forwarded to the mock cluster's ephemeral port); 0 = any free port.</summary>
    public int EmbeddedPort { get; set; } = 9092;

    /// <summary>Address the embedded broker's listener binds; loopback unless a container must expose it.</summary>
    public string EmbeddedBindAddress { get; set; } = "127.0.0.1";

    public string ControlTopic { get; set; } = DefaultControlTopic;

    /// <summary>Partitions of the topics a deploy creates (input, output, dead letters) when the request names none; existing topics keep theirs.</summary>
    public int TopicPartitions { get; set; } = 4;

    /// <summary>Replication factor of the topics a deploy creates on a real cluster (the embedded broker has one copy).</summary>
    public short TopicReplicationFactor { get; set; } = 1;

    /// <summary>
    /// The group protocol of inference replicas: <c>consumer</c> (KIP-848, Kafka 4.0+: partitions move member by member)
    /// or <c>classic</c>; empty: <c>consumer</c> on the embedded broker, <c>classic</c> on an external cluster.
    /// </summary>
    public string? GroupProtocol { get; set; }

    public bool UseEmbedded => string.IsNullOrWhiteSpace(BootstrapServers);
}
