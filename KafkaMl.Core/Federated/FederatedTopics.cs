using System.Globalization;

namespace KafkaMl.Core.Federated;

/// <summary>The topics of the federated protocol.</summary>
public static class FederatedTopics
{
    /// <summary>On each site's own broker: the site's dataset announcements (Kafka-ML's name).</summary>
    public const string DataControl = "FEDERATED_DATA_CONTROL_TOPIC";

    /// <summary>On the cloud broker: the coordinators' model announcements (Kafka-ML's name).</summary>
    public const string ModelControl = "FEDERATED_MODEL_CONTROL_TOPIC";

    /// <summary>
    /// How often readers of these topics refresh their metadata: a topic created after a reader started is seen within this
    /// time (librdkafka's default is five minutes).
    /// </summary>
    public const int MetadataRefreshMs = 2_000;

    /// <summary>The prefix of every round topic.</summary>
    public const string RoundTopicPrefix = "kafkaml-federated-";

    /// <summary>What a federated result reports as its "input format" (its data stays on the sites).</summary>
    public const string InputFormat = "FEDERATED";

    /// <summary>On the cloud broker: the global weights of every round of a federated result.</summary>
    public static string Global(int resultId) => string.Create(CultureInfo.InvariantCulture, $"kafkaml-federated-{resultId}-global");

    /// <summary>On the cloud broker: the sites' updates (and statistics) of a federated result.</summary>
    public static string Updates(int resultId) => string.Create(CultureInfo.InvariantCulture, $"kafkaml-federated-{resultId}-updates");
}
