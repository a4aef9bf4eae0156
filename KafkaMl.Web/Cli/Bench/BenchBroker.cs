using Confluent.Kafka;
using Confluent.Kafka.Admin;
using KafkaMl.Core.Broker;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// The broker a benchmark measures against: the cluster given with <c>--bootstrap-servers</c>, else an embedded broker
/// started in this process (a librdkafka mock cluster) whose topics get <see cref="Partitions"/> partitions.
/// </summary>
internal sealed class BenchBroker : IDisposable
{
    /// <summary>The option naming a cluster to measure against instead of the embedded broker.</summary>
    public const string BootstrapOption = "--bootstrap-servers";

    /// <summary>The option of a librdkafka setting (<c>-X key=value</c>), repeatable.</summary>
    public const string KafkaSettingOption = "-X";

    private readonly EmbeddedBroker? _embedded;
    private readonly IReadOnlyDictionary<string, string> _kafkaSettings;

    private BenchBroker(EmbeddedBroker? embedded, string bootstrapServers, int partitions, IReadOnlyDictionary<string, string> kafkaSettings)
    {
        _embedded = embedded;
        BootstrapServers = bootstrapServers;
        Partitions = partitions;
        _kafkaSettings = kafkaSettings;
    }

    public string BootstrapServers { get; }

    public int Partitions { get; }

    public bool IsEmbedded => _embedded is not null;

    /// <summary>The given cluster, or a new embedded broker; throws <see cref="BrokerStartException"/> when that cannot start.</summary>
    public static BenchBroker Start(string? given, int partitions, IReadOnlyDictionary<string, string>? kafkaSettings = null)
    {
        var settings = kafkaSettings ?? new Dictionary<string, string>();
        if (given is not null) return new BenchBroker(null, given, partitions, settings);
        var embedded = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0, DefaultPartitions: partitions));
        return new BenchBroker(embedded, embedded.BootstrapServers, partitions, settings);
    }

    /// <summary>Creates the topic on the embedded broker; on a given cluster nothing (it creates topics on first use).</summary>
    public void CreateTopic(string topic, int partitions) => _embedded?.CreateTopic(topic, partitions);

    /// <summary>Creates the topic on either broker (on a given cluster with an admin client; one already there is fine).</summary>
    public async Task EnsureTopicAsync(string topic, int partitions)
    {
        if (_embedded is not null)
        {
            _embedded.CreateTopic(topic, partitions);
            return;
        }
        var config = new AdminClientConfig { BootstrapServers = BootstrapServers };
        foreach (var (key, value) in _kafkaSettings) config.Set(key, value);
        using var admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        try
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = -1 }]);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Already there: fine.
        }
    }

    /// <summary>The report's <c>broker:</c> line, in each benchmark's words.</summary>
    /// <param name="topics">What gets <see cref="Partitions"/> partitions: "data topic" or "topic".</param>
    /// <param name="preposition">Where the mock cluster is: "at" or "behind" its address.</param>
    /// <param name="partitionsWhenGiven">Whether a given cluster's line names the partitions too.</param>
    public string Line(string topics = "data topic", string preposition = "at", bool partitionsWhenGiven = false)
    {
        var partitions = $"{Partitions} partitions per {topics}";
        return IsEmbedded
            ? $"broker:    embedded, in this process (librdkafka mock cluster {preposition} {BootstrapServers}), {partitions}"
            : $"broker:    {BootstrapServers} (given){(partitionsWhenGiven ? $", {partitions}" : "")}";
    }

    public void Dispose() => _embedded?.Dispose();
}
