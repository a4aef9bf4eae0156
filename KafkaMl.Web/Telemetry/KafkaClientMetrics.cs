using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Telemetry;

/// <summary>
/// Kafka client series from librdkafka's statistics (a JSON document every <see cref="StatisticsIntervalMs"/> from a
/// client built with <c>statistics.interval.ms</c> and a handler calling <see cref="Record"/>): messages and requests
/// sent and received, errors, the queue, and the round-trip time to each broker, labelled by the client instance.
/// </summary>
public static class KafkaClientMetrics
{
    public const int StatisticsIntervalMs = 5_000;
    public const string ClientTag = "client";
    public const string BrokerTag = "broker";

    private static readonly ConcurrentDictionary<string, ClientStatistics> Clients = new();

    static KafkaClientMetrics()
    {
        var meter = KafkaMlTelemetry.Meter;
        meter.CreateObservableCounter("kafkaml.kafka.client.messages.sent", () => Each(s => s.MessagesSent), "{message}", "Messages the client sent to brokers (librdkafka txmsgs).");
        meter.CreateObservableCounter("kafkaml.kafka.client.messages.received", () => Each(s => s.MessagesReceived), "{message}", "Messages the client received from brokers (librdkafka rxmsgs).");
        meter.CreateObservableCounter("kafkaml.kafka.client.requests.sent", () => Each(s => s.RequestsSent), "{request}", "Requests sent to brokers (librdkafka tx).");
        meter.CreateObservableCounter("kafkaml.kafka.client.errors", () => Each(s => s.Errors), "{error}", "Transmit and receive errors over all brokers (librdkafka txerrs + rxerrs).");
        meter.CreateObservableGauge("kafkaml.kafka.client.queue.messages", () => Each(s => s.Queued), "{message}", "Messages waiting in the client's queues (librdkafka msg_cnt).");
        meter.CreateObservableGauge("kafkaml.kafka.client.broker.rtt", BrokerRtts, "s", "Average round-trip time to each broker over the last statistics interval.");
    }

    /// <summary><paramref name="config"/> with statistics every <see cref="StatisticsIntervalMs"/> (its handler must call <see cref="Record"/>).</summary>
    public static TConfig WithStatistics<TConfig>(TConfig config) where TConfig : Confluent.Kafka.ClientConfig
    {
        config.StatisticsIntervalMs = StatisticsIntervalMs;
        return config;
    }

    /// <summary>Keeps one statistics document (called by librdkafka's statistics handler); a malformed one is ignored.</summary>
    public static void Record(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var name = root.GetProperty("name").GetString() ?? "unknown";
            long errors = 0;
            var rtts = new Dictionary<string, double>();
            if (root.TryGetProperty("brokers", out var brokers))
            {
                foreach (var broker in brokers.EnumerateObject())
                {
                    errors += Long(broker.Value, "txerrs") + Long(broker.Value, "rxerrs");
                    // Internal pseudo-brokers (bootstrap placeholders) have no node id and no traffic worth a series.
                    if (Long(broker.Value, "nodeid") >= 0 && broker.Value.TryGetProperty("rtt", out var rtt) && Long(rtt, "cnt") > 0)
                        rtts[broker.Name] = Long(rtt, "avg") / 1e6;
                }
            }
            Clients[name] = new ClientStatistics(Long(root, "txmsgs"), Long(root, "rxmsgs"), Long(root, "tx"), errors, Long(root, "msg_cnt"), rtts);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            // Statistics are best effort: one bad document loses one sample.
        }
    }

    private static long Long(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.TryGetInt64(out var number) ? number : 0;

    private static IEnumerable<Measurement<long>> Each(Func<ClientStatistics, long> pick) =>
        Clients.Select(c => new Measurement<long>(pick(c.Value), new KeyValuePair<string, object?>(ClientTag, c.Key)));

    private static IEnumerable<Measurement<double>> BrokerRtts() =>
        Clients.SelectMany(c => c.Value.BrokerRttSeconds.Select(b => new Measurement<double>(b.Value, new TagList { { ClientTag, c.Key }, { BrokerTag, b.Key } })));

    private sealed record ClientStatistics(long MessagesSent, long MessagesReceived, long RequestsSent, long Errors, long Queued, IReadOnlyDictionary<string, double> BrokerRttSeconds);
}
