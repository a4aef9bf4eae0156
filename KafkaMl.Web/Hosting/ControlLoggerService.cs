using System.Text;
using Confluent.Kafka;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Hosting;

/// <summary>
/// Logs every control message as a datasource (issue 3, item 5): consumes the control topic with its
/// own consumer group from the earliest offset, stores each message as a <c>Datasource</c> row and
/// only then stores its offset, which the consumer commits within a second and on close (at-least-once;
/// <see cref="ControlMessageRecorder"/> makes a redelivery harmless). A malformed message is logged,
/// counted and skipped (its offset stored, so it is not read forever); a database failure is retried
/// until it succeeds; only a fatal Kafka error stops the loop.
/// </summary>
/// <remarks>
/// confluent-kafka-dotnet's <c>RequestTimeConsumer</c> shape: the blocking loop runs on the thread pool
/// (<see cref="ExecuteAsync"/> returns at once, so startup never waits for the broker) and the consumer
/// is closed in <c>finally</c>, which commits the stored offsets and leaves the group.
/// </remarks>
public sealed partial class ControlLoggerService(
    KafkaEndpoint endpoint,
    IOptions<ControlLoggerOptions> options,
    ControlMessageRecorder recorder,
    ControlLoggerStats stats,
    ILogger<ControlLoggerService> logger) : BackgroundService
{
    private const int ShownBytes = 64;
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(() => ConsumeAsync(stoppingToken), CancellationToken.None);

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        var topic = endpoint.ControlTopic;
        var groupId = options.Value.GroupId;
        IConsumer<byte[], byte[]> consumer;
        try
        {
            consumer = BuildConsumer(groupId);
            consumer.Subscribe(topic);
        }
        catch (KafkaException e)
        {
            LogFatal(e, topic, e.Error.Reason);
            stats.Failed(e.Error.Reason);
            return;
        }

        stats.Started(topic, groupId);
        LogStarted(topic, groupId, endpoint.BootstrapServers);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                ConsumeResult<byte[], byte[]>? result;
                try
                {
                    result = consumer.Consume(stoppingToken);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    // e.g. the control topic does not exist yet on an external cluster: librdkafka keeps trying.
                    LogConsumeError(topic, e.Error.Code, e.Error.Reason);
                    stats.Error(e.Error.Reason);
                    continue;
                }
                if (result?.Message is null || result.IsPartitionEOF) continue;

                await HandleAsync(ToRecord(result), stoppingToken);
                StoreOffset(consumer, result);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The portal is stopping.
        }
        catch (KafkaException e) when (e.Error.IsFatal)
        {
            LogFatal(e, topic, e.Error.Reason);
            stats.Failed(e.Error.Reason);
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Whatever was in flight when the portal stopped; its offset was not stored, so it is read again.
        }
        catch (Exception e)
        {
            // A bug, not a message or a broker problem: say so loudly, but leave the portal serving.
            LogUnexpected(e, topic);
            stats.Failed(e.Message);
        }
        finally
        {
            Close(consumer);
            stats.Stopped();
            LogStopped(topic);
        }
    }

    /// <summary>Reads, validates and stores one record; returns once it is stored, skipped, or the portal stops.</summary>
    private async Task HandleAsync(ControlRecord record, CancellationToken stoppingToken)
    {
        stats.Received(record.Timestamp ?? DateTimeOffset.UtcNow);
        var decoded = recorder.Decode(record);
        if (decoded.Datasource is not { } datasource)
        {
            LogRejected(record.Position, decoded.Problem!, Show(record.Key, hex: true), Show(record.Value, hex: false));
            stats.Rejected(record.Position, decoded.Problem!);
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (row, created) = await recorder.StoreAsync(datasource, stoppingToken);
                if (created)
                {
                    LogStored(row.Id, row.DeploymentId, row.Topic, row.TotalMsg, record.Position);
                    stats.Stored();
                }
                else
                {
                    LogDuplicate(record.Position, row.Id);
                    stats.Duplicate();
                }
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Not the message's fault (database locked, disk full): keep it and try again, without committing.
                var delay = TimeSpan.FromMilliseconds(Math.Min(MaxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempt - 1, 10))));
                LogStoreFailed(e, record.Position, attempt, delay.TotalSeconds);
                stats.Error($"Storing the control message at {record.Position} failed: {e.Message}");
                await Task.Delay(delay, stoppingToken);
            }
        }
    }

    private IConsumer<byte[], byte[]> BuildConsumer(string groupId) =>
        new ConsumerBuilder<byte[], byte[]>(Telemetry.KafkaClientMetrics.WithStatistics(KafkaClientConfig.Consumer(endpoint, groupId, "kafkaml-control-logger")))
            .SetStatisticsHandler((_, json) => Telemetry.KafkaClientMetrics.Record(json)) // the Kafka client series of /metrics
            .SetLogHandler((_, log) => LogClient(KafkaClientConfig.ToLogLevel(log.Level), log.Facility, log.Message))
            .SetErrorHandler((_, error) =>
            {
                // Transport errors while the broker is away are reported here; librdkafka reconnects by itself.
                LogClientError(error.IsFatal ? LogLevel.Critical : LogLevel.Warning, error.Code, error.Reason);
                stats.Error(error.Reason);
            })
            .Build();

    private void StoreOffset(IConsumer<byte[], byte[]> consumer, ConsumeResult<byte[], byte[]> result)
    {
        try
        {
            consumer.StoreOffset(result);
        }
        catch (KafkaException e) when (!e.Error.IsFatal)
        {
            // The partition was revoked meanwhile: its next owner reads the message again and finds the row.
            LogStoreOffsetFailed(result.TopicPartitionOffset.ToString(), e.Error.Reason);
        }
    }

    private void Close(IConsumer<byte[], byte[]> consumer)
    {
        try
        {
            consumer.Close();
        }
        catch (KafkaException e)
        {
            LogCloseFailed(e.Error.Reason);
        }
        finally
        {
            consumer.Dispose();
        }
    }

    private static ControlRecord ToRecord(ConsumeResult<byte[], byte[]> result)
    {
        var timestamp = result.Message.Timestamp;
        return new ControlRecord(
            result.Topic,
            result.Partition.Value,
            result.Offset.Value,
            timestamp.Type == TimestampType.NotAvailable ? null : DateTimeOffset.FromUnixTimeMilliseconds(timestamp.UnixTimestampMs),
            result.Message.Key,
            result.Message.Value);
    }

    /// <summary>A short, printable prefix of a key or value for the log; never the whole payload.</summary>
    internal static string Show(byte[]? bytes, bool hex)
    {
        if (bytes is null) return "(none)";
        if (bytes.Length == 0) return "(empty)";
        var shown = bytes.AsSpan(0, Math.Min(bytes.Length, ShownBytes));
        var more = bytes.Length > ShownBytes ? $"… ({bytes.Length} bytes)" : "";
        if (hex) return "0x" + Convert.ToHexString(shown) + more;
        var text = Encoding.UTF8.GetString(shown);
        var printable = new StringBuilder(text.Length);
        foreach (var c in text) printable.Append(char.IsControl(c) ? '.' : c);
        return printable + more;
    }

    [LoggerMessage(LogLevel.Information, "Control logger consuming {Topic} as group {GroupId} at {BootstrapServers}")]
    private partial void LogStarted(string topic, string groupId, string bootstrapServers);

    [LoggerMessage(LogLevel.Information, "Control logger stopped consuming {Topic}")]
    private partial void LogStopped(string topic);

    [LoggerMessage(LogLevel.Information, "Datasource {DatasourceId} stored for deployment {DeploymentId}: {Ranges} ({TotalMsg} messages), from {Position}")]
    private partial void LogStored(int datasourceId, int deploymentId, string ranges, long totalMsg, string position);

    [LoggerMessage(LogLevel.Information, "The control message at {Position} is already stored as datasource {DatasourceId}; skipped")]
    private partial void LogDuplicate(string position, int datasourceId);

    [LoggerMessage(LogLevel.Warning, "Rejected the control message at {Position}: {Reason} (key {Key}, value {ValuePrefix})")]
    private partial void LogRejected(string position, string reason, string key, string valuePrefix);

    [LoggerMessage(LogLevel.Error, "Storing the control message at {Position} failed (attempt {Attempt}); retrying in {DelaySeconds} s")]
    private partial void LogStoreFailed(Exception exception, string position, int attempt, double delaySeconds);

    [LoggerMessage(LogLevel.Warning, "Reading {Topic} failed: {Code} {Reason}")]
    private partial void LogConsumeError(string topic, ErrorCode code, string reason);

    [LoggerMessage(LogLevel.Critical, "The control logger stopped on a fatal Kafka error reading {Topic}: {Reason}")]
    private partial void LogFatal(Exception exception, string topic, string reason);

    [LoggerMessage(LogLevel.Critical, "The control logger stopped on an unexpected error reading {Topic}")]
    private partial void LogUnexpected(Exception exception, string topic);

    [LoggerMessage(LogLevel.Debug, "The offset of {Position} could not be stored: {Reason}")]
    private partial void LogStoreOffsetFailed(string position, string reason);

    [LoggerMessage(LogLevel.Warning, "Closing the control logger's consumer failed: {Reason}")]
    private partial void LogCloseFailed(string reason);

    [LoggerMessage("Control logger Kafka client error {Code}: {Reason}")]
    private partial void LogClientError(LogLevel level, ErrorCode code, string reason);

    [LoggerMessage("librdkafka {Facility}: {Message}")]
    private partial void LogClient(LogLevel level, string facility, string message);
}
