using System.Collections.Concurrent;
using Confluent.Kafka;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Telemetry;
using KafkaMl.Web.Services;

namespace KafkaMl.Web.Telemetry;

/// <summary>One input partition of an inference service: the end offset, the group's committed offset (null: none yet) and the lag between them.</summary>
public sealed record PartitionLag(int Partition, long EndOffset, long? CommittedOffset, long Lag);

/// <summary>How far an inference service's consumer group is behind its input topic, as read from the broker at <paramref name="ReadAt"/>.</summary>
public sealed record ConsumerLag(int InferenceId, string Topic, string ConsumerGroup, IReadOnlyList<PartitionLag> Partitions, DateTimeOffset ReadAt)
{
    public long Total => Partitions.Sum(p => p.Lag);
}

/// <summary>A service whose lag is read: its input topic on its Kafka (null: the portal's; a chain stage may name its own).</summary>
public sealed record LagTarget(int InferenceId, string Topic, string? BootstrapServers = null);

/// <summary>
/// The consumer lag of running inference services (end offset − committed offset of the service's consumer group, per
/// input partition): what every Kafka operator looks at first. Read from the broker by <see cref="TelemetryRefresher"/>
/// every <see cref="TelemetryOptions.RefreshInterval"/>, exported as <c>kafkaml.inference.consumer_lag</c> and shown on
/// the inference page. A group that committed nothing yet starts from the earliest offset, so its lag is all that is
/// on the partition. Chain stages on a Kafka of their own are read there (plain connections, as their topics were
/// created); a cluster that cannot be read leaves its services without a lag and the others read.
/// </summary>
public sealed class ConsumerLagMonitor : IDisposable
{
    public const string LagName = "kafkaml.inference.consumer_lag";
    public const string TopicTag = "topic";
    public const string PartitionTag = "partition";
    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(5);

    private readonly KafkaEndpoint _endpoint;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<int, ConsumerLag> _lags = new();
    private readonly Lazy<IAdminClient> _portalAdmin;

    public ConsumerLagMonitor(KafkaEndpoint endpoint, TimeProvider clock, ILogger<ConsumerLagMonitor> logger)
    {
        _endpoint = endpoint;
        _clock = clock;
        _portalAdmin = new(() => new AdminClientBuilder(KafkaClientConfig.Admin(endpoint, "kafkaml-portal-lag"))
            .SetLogHandler((_, log) => KafkaClientConfig.Log(logger, log)).Build());
        KafkaMlTelemetry.Meter.CreateObservableGauge(LagName, Measure, "{message}",
            "Input messages of an inference service not yet committed by its consumer group (end offset - committed offset).");
    }

    /// <summary>The lag last read for inference <paramref name="inferenceId"/>; null when it is not running or was not read yet.</summary>
    public ConsumerLag? Get(int inferenceId) => _lags.GetValueOrDefault(inferenceId);

    /// <summary>
    /// Reads the lag of <paramref name="inferences"/> from their Kafka clusters and forgets every other inference (and
    /// one whose topic does not exist, or whose cluster could not be read). When a cluster could not be read, the others
    /// are still read and its failure is thrown afterwards.
    /// </summary>
    public async Task RefreshAsync(IReadOnlyCollection<LagTarget> inferences, CancellationToken cancellationToken)
    {
        // librdkafka's metadata and offset calls block: off the caller's thread.
        var (read, failure) = inferences.Count == 0 ? ([], null) : await Task.Run(() =>
        {
            var lags = new List<ConsumerLag>();
            Exception? failed = null;
            foreach (var cluster in inferences.GroupBy(i => i.BootstrapServers is { } servers && servers != _endpoint.BootstrapServers ? servers : null))
            {
                var endpoint = cluster.Key is { } servers ? _endpoint with { BootstrapServers = servers, Embedded = false, Security = null } : _endpoint;
                try
                {
                    if (cluster.Key is null)
                    {
                        lags.AddRange(ReadCluster(_portalAdmin.Value, endpoint, cluster, cancellationToken));
                    }
                    else
                    {
                        // Another cluster's client lives for this round only and keeps quiet: one that is down reports
                        // through the failure below (logged once per run of failures), not through librdkafka's
                        // reconnect lines for as long as the portal runs.
                        using var admin = new AdminClientBuilder(KafkaClientConfig.Admin(endpoint, "kafkaml-portal-lag")).SetLogHandler((_, _) => { }).Build();
                        lags.AddRange(ReadCluster(admin, endpoint, cluster, cancellationToken));
                    }
                }
                catch (KafkaException e)
                {
                    failed ??= new KafkaException(new Error(e.Error.Code, $"reading consumer lag on {endpoint.BootstrapServers}: {e.Error.Reason}"), e);
                }
            }
            return (lags, failed);
        }, cancellationToken);
        foreach (var lag in read) _lags[lag.InferenceId] = lag;
        foreach (var gone in _lags.Keys.Except(read.Select(l => l.InferenceId)).ToList()) _lags.TryRemove(gone, out _);
        if (failure is not null) throw failure;
    }

    private List<ConsumerLag> ReadCluster(IAdminClient admin, KafkaEndpoint endpoint, IEnumerable<LagTarget> inferences, CancellationToken cancellationToken)
    {
        // The metadata of every topic: asking for one topic by name would create it where the broker auto-creates
        // topics (the embedded one does), and reading a lag must never create the topic it reads.
        var topics = admin.GetMetadata(BrokerTimeout).Topics
            .Where(t => t.Error.Code == ErrorCode.NoError)
            .ToDictionary(t => t.Topic, t => t.Partitions.Select(p => p.PartitionId).Order().ToList());
        var lags = new List<ConsumerLag>();
        foreach (var inference in inferences)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (topics.TryGetValue(inference.Topic, out var partitions)) lags.Add(Read(endpoint, inference.InferenceId, inference.Topic, partitions));
        }
        return lags;
    }

    private ConsumerLag Read(KafkaEndpoint endpoint, int inferenceId, string topic, IReadOnlyList<int> partitionIds)
    {
        var group = InferenceOrchestrator.ConsumerGroup(inferenceId);
        var partitions = partitionIds.Select(p => new TopicPartition(topic, p)).ToList();
        // A consumer that never subscribes: it only asks the group's coordinator for the committed offsets.
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(KafkaClientConfig.Consumer(endpoint, group, "kafkaml-portal-lag"))
            .SetLogHandler((_, _) => { }).Build();
        var committed = consumer.Committed(partitions, BrokerTimeout).ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
        var lags = partitions.Select(partition =>
        {
            var marks = consumer.QueryWatermarkOffsets(partition, BrokerTimeout);
            long? offset = committed.TryGetValue(partition.Partition.Value, out var c) && c >= 0 ? c : null;
            return new PartitionLag(partition.Partition.Value, marks.High.Value, offset, Math.Max(0, marks.High.Value - (offset ?? marks.Low.Value)));
        }).ToList();
        return new ConsumerLag(inferenceId, topic, group, lags, _clock.GetUtcNow());
    }

    private IEnumerable<Measurement<long>> Measure() =>
        _lags.Values.SelectMany(lag => lag.Partitions.Select(p => new Measurement<long>(p.Lag, new TagList
        {
            { InferenceMetrics.InferenceTag, lag.InferenceId.ToString(CultureInfo.InvariantCulture) },
            { TopicTag, lag.Topic },
            { PartitionTag, p.Partition.ToString(CultureInfo.InvariantCulture) },
        })));

    public void Dispose()
    {
        if (_portalAdmin.IsValueCreated) _portalAdmin.Value.Dispose();
    }
}
