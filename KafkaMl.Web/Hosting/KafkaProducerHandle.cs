using Confluent.Kafka;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Hosting;

/// <summary>
/// The portal's one Kafka producer (confluent-kafka-dotnet's <c>KafkaClientHandle</c>): a singleton
/// shared by everything in the process that writes to Kafka, flushed and disposed with the container.
/// </summary>
public sealed partial class KafkaProducerHandle : IDisposable
{
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(10);

    private readonly IProducer<byte[], byte[]> _producer;
    private readonly ILogger<KafkaProducerHandle> _logger;

    public KafkaProducerHandle(KafkaEndpoint endpoint, ILogger<KafkaProducerHandle> logger)
    {
        _logger = logger;
        _producer = new ProducerBuilder<byte[], byte[]>(Telemetry.KafkaClientMetrics.WithStatistics(KafkaClientConfig.Producer(endpoint, "kafkaml-portal")))
            .SetStatisticsHandler((_, json) => Telemetry.KafkaClientMetrics.Record(json)) // the Kafka client series of /metrics
            .SetLogHandler((_, log) => LogClient(KafkaClientConfig.ToLogLevel(log.Level), log.Facility, log.Message))
            .SetErrorHandler((_, error) => LogClientError(error.IsFatal ? LogLevel.Critical : LogLevel.Warning, error.Code, error.Reason))
            .Build();
    }

    /// <summary>The librdkafka handle, for typed producers built with <c>DependentProducerBuilder</c>.</summary>
    public Handle Handle => _producer.Handle;

    /// <summary>Produces one message and waits for the broker's acknowledgement; throws <see cref="ProduceException{TKey, TValue}"/>.</summary>
    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(string topic, Message<byte[], byte[]> message, CancellationToken cancellationToken = default) =>
        _producer.ProduceAsync(topic, message, cancellationToken);

    public void Dispose()
    {
        // Deliver what is queued (bounded), then release the client.
        _producer.Flush(FlushTimeout);
        _producer.Dispose();
    }

    [LoggerMessage("Portal producer error {Code}: {Reason}")]
    private partial void LogClientError(LogLevel level, ErrorCode code, string reason);

    [LoggerMessage("librdkafka {Facility}: {Message}")]
    private partial void LogClient(LogLevel level, string facility, string message);
}
