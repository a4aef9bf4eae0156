using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using KafkaMl.Core.Control;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>The control message a job waits for, where it was on the control topic, and when it was sent (null: the broker gave no time).</summary>
public sealed record FoundControlMessage(ControlMessage Message, int Partition, long Offset, DateTimeOffset? Timestamp = null);

/// <summary>
/// Waits on the control topic for the control message of one deployment. Reads every partition of the topic
/// from its earliest offset with assigned partitions and no consumer group (nothing is committed), so a control
/// message sent before the job started is found as surely as one sent while it waits.
/// </summary>
/// <remarks>
/// The <b>first</b> valid message for the deployment wins (in offset order on a one-partition control topic,
/// as KafkaMl and Kafka-ML create it), as in Kafka-ML: a later one for the same deployment — a stream sent
/// twice — is not what this job trains on. Messages for other deployments are passed over; messages whose key
/// or value cannot be read are logged and passed over too (they may be any producer's mistake). Waits until
/// cancelled, saying every <c>logInterval</c> that it still waits.
/// </remarks>
public sealed class ControlMessageWaiter
{
    /// <summary>The control topic is asked for its partitions this often until it exists, and then for new ones.</summary>
    private static readonly TimeSpan MetadataRefresh = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MissingTopicRetry = TimeSpan.FromSeconds(1);

    private readonly string _bootstrapServers;
    private readonly string _controlTopic;
    private readonly TimeSpan _logInterval;
    private readonly IReadOnlyDictionary<string, string>? _settings;
    private readonly ILogger _logger;

    public ControlMessageWaiter(string bootstrapServers, string controlTopic, TimeSpan logInterval,
        IReadOnlyDictionary<string, string>? settings = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bootstrapServers);
        if (TopicNames.Problem(controlTopic) is { } problem) throw new ArgumentException($"Control topic: {problem}", nameof(controlTopic));
        _bootstrapServers = bootstrapServers;
        _controlTopic = controlTopic;
        _logInterval = logInterval > TimeSpan.Zero ? logInterval : TimeSpan.FromSeconds(30);
        _settings = settings;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Waits (on a thread of its own) for the first valid control message of <paramref name="deploymentId"/>.</summary>
    public Task<FoundControlMessage> WaitAsync(long deploymentId, IProgress<string>? log, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Wait(deploymentId, log, cancellationToken),
            cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private FoundControlMessage Wait(long deploymentId, IProgress<string>? log, CancellationToken cancellationToken)
    {
        var config = KafkaClientConfig.Consumer(
            _bootstrapServers,
            groupId: $"kafkaml-control-wait-{Guid.NewGuid():N}", // required by the client, never joined
            clientId: $"kafkaml-train-deployment-{deploymentId}",
            KafkaClientConfig.DefaultFetchWaitMaxMs, // the embedded broker holds an empty fetch this long: keep it short
            _settings);
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, entry) => KafkaClientConfig.Log(_logger, entry))
            .SetErrorHandler((_, error) => _logger.Log(error.IsFatal ? LogLevel.Error : LogLevel.Warning, "Kafka: {Reason}", error.Reason))
            .Build();
        IAdminClient admin;
        try
        {
            admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        }
        catch
        {
            consumer.Dispose();
            throw;
        }

        var assigned = new HashSet<int>();
        var sinceLog = Stopwatch.StartNew();
        var clock = Stopwatch.StartNew();
        var nextMetadata = TimeSpan.Zero;
        var missingTopicSaid = false;
        long others = 0, invalid = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (clock.Elapsed >= nextMetadata)
                {
                    var added = NewPartitions(admin, assigned);
                    if (added.Count > 0)
                    {
                        consumer.IncrementalAssign(added.Select(p => new TopicPartitionOffset(_controlTopic, p, Offset.Beginning)));
                        assigned.UnionWith(added);
                    }
                    else if (assigned.Count == 0 && !missingTopicSaid)
                    {
                        missingTopicSaid = true;
                        log?.Report($"the control topic {_controlTopic} does not exist yet; waiting for it");
                    }
                    nextMetadata = clock.Elapsed + (assigned.Count == 0 ? MissingTopicRetry : MetadataRefresh);
                }
                if (assigned.Count == 0)
                {
                    cancellationToken.WaitHandle.WaitOne(MissingTopicRetry);
                    continue;
                }

                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (sinceLog.Elapsed >= _logInterval)
                {
                    sinceLog.Restart();
                    log?.Report(string.Create(CultureInfo.InvariantCulture,
                        $"still waiting for a control message for deployment {deploymentId} on {_controlTopic} ({others} for other deployments, {invalid} invalid so far)"));
                }
                if (result is null || result.IsPartitionEOF) continue;

                var key = result.Message.Key ?? [];
                var value = result.Message.Value ?? [];
                if (!DeploymentKey.TryDecode(key, out var id, out var keyProblem))
                {
                    invalid++;
                    log?.Report($"passed over the control message at {Where(result)}: {keyProblem}");
                    continue;
                }
                if (id != deploymentId)
                {
                    others++;
                    continue;
                }
                if (!ControlMessage.TryRead(key, value, out var received, out var problem))
                {
                    invalid++;
                    log?.Report($"passed over an invalid control message for deployment {deploymentId} at {Where(result)}: {problem}");
                    continue;
                }
                var sent = result.Message.Timestamp;
                return new FoundControlMessage(received.Message, result.Partition.Value, result.Offset.Value,
                    sent.Type == TimestampType.NotAvailable ? null : DateTimeOffset.FromUnixTimeMilliseconds(sent.UnixTimestampMs));
            }
        }
        finally
        {
            try
            {
                consumer.Close();
            }
            finally
            {
                // Disposing the admin client waits out its result-poll loop (up to 100 ms), and the consumer must
                // outlive it: both go in the background, so the job reads its data without waiting for them.
                _ = Task.Run(() => Release(consumer, admin));
            }
        }
    }

    private void Release(IConsumer<byte[], byte[]> consumer, IAdminClient admin)
    {
        try
        {
            admin.Dispose();
            consumer.Dispose();
        }
        catch (Exception e)
        {
            _logger.LogWarning("Kafka: the control-topic consumer could not be released: {Reason}", e.Message);
        }
    }

    /// <summary>Partitions of the control topic not assigned yet (none while the topic does not exist).</summary>
    private List<int> NewPartitions(IAdminClient admin, HashSet<int> assigned)
    {
        try
        {
            var topic = admin.GetMetadata(_controlTopic, TimeSpan.FromSeconds(5)).Topics.FirstOrDefault(t => t.Topic == _controlTopic);
            if (topic is null || topic.Error.IsError) return [];
            return [.. topic.Partitions.Select(p => p.PartitionId).Where(p => !assigned.Contains(p)).Order()];
        }
        catch (KafkaException e)
        {
            _logger.LogWarning("Kafka: the control topic's partitions could not be listed: {Reason}", e.Error.Reason);
            return [];
        }
    }

    private static string Where(ConsumeResult<byte[], byte[]> result) =>
        string.Create(CultureInfo.InvariantCulture, $"{result.Topic}:{result.Partition.Value}@{result.Offset.Value}");
}
