using System.Linq.Expressions;
using KafkaMl.Web.Hosting;

namespace KafkaMl.Tests.Support;

/// <summary>
/// The portal's control topic and datasources as a test sees them: produce raw records to the control
/// topic, read one back, and wait until the control logger has stored a datasource.
/// </summary>
internal static class PortalControlTopic
{
    private static int deploymentIds = 1000;

    /// <summary>A deployment id no other test of the run uses (above the one-byte range).</summary>
    public static int UniqueDeploymentId() => Interlocked.Increment(ref deploymentIds);

    /// <summary>A data topic name no other test uses; datasources are told apart by it.</summary>
    public static string UniqueTopic(string prefix = "data") => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];

    public static KafkaEndpoint Kafka(this PortalFactory portal) => portal.Services.GetRequiredService<KafkaEndpoint>();

    public static ControlLoggerStats LoggerStats(this PortalFactory portal) => portal.Services.GetRequiredService<ControlLoggerStats>();

    /// <summary>Produces one record to the control topic exactly as given (null key or value allowed).</summary>
    public static async Task<TopicPartitionOffset> ProduceControlAsync(this PortalFactory portal, byte[]? key, byte[]? value)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = portal.Kafka().BootstrapServers,
            Acks = Acks.All,
            MessageTimeoutMs = 30_000,
        }).SetLogHandler((_, _) => { }).Build();
        var delivery = await producer.ProduceAsync(portal.Kafka().ControlTopic, new Message<byte[]?, byte[]?> { Key = key, Value = value })
            .WaitAsync(Eventually.Patience);
        return delivery.TopicPartitionOffset;
    }

    /// <summary>The control-topic record at <paramref name="position"/>.</summary>
    public static ConsumeResult<byte[], byte[]> ReadControl(this PortalFactory portal, TopicPartitionOffset position)
    {
        using var consumer = Consumer(portal);
        consumer.Assign(position);
        using var deadline = new CancellationTokenSource(Eventually.Patience);
        while (true)
        {
            if (deadline.IsCancellationRequested) throw new TimeoutException($"{position} could not be read within {Eventually.Patience}.");
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } result) return result;
        }
    }

    /// <summary>The next offset of the control topic's (only) partition: grows by one with every record produced to it.</summary>
    public static long ControlHighWatermark(this PortalFactory portal)
    {
        using var consumer = Consumer(portal);
        return consumer.QueryWatermarkOffsets(new TopicPartition(portal.Kafka().ControlTopic, 0), Eventually.Patience).High.Value;
    }

    /// <summary>Waits until <paramref name="groupId"/> has committed at least <paramref name="offset"/> on the control topic; returns the committed offset.</summary>
    public static async Task<long> WaitForCommittedAsync(this PortalFactory portal, string groupId, long offset)
    {
        // Same group id, never subscribed: it only asks the coordinator, without joining the group.
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = portal.Kafka().BootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
        }).SetLogHandler((_, _) => { }).Build();
        var partition = new TopicPartition(portal.Kafka().ControlTopic, 0);
        return await Eventually.Until(
            () => consumer.Committed([partition], Eventually.Patience).Single().Offset.Value,
            committed => committed >= offset,
            committed => $"{groupId} to commit {offset} (committed {committed})");
    }

    /// <summary>Exactly the records in <paramref name="ranges"/> (end exclusive), in range order.</summary>
    public static List<ConsumeResult<byte[], byte[]>> ReadRanges(this PortalFactory portal, IEnumerable<TopicRange> ranges)
    {
        using var consumer = Consumer(portal);
        var all = new List<ConsumeResult<byte[], byte[]>>();
        using var deadline = new CancellationTokenSource(Eventually.Patience);
        foreach (var range in ranges.Where(r => r.Count > 0))
        {
            consumer.Assign(new TopicPartitionOffset(range.Topic, range.Partition, range.Start));
            for (var last = range.Start - 1; last < range.End - 1;)
            {
                if (deadline.IsCancellationRequested) throw new TimeoutException($"{range} could not be read within {Eventually.Patience}.");
                if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is not { } result) continue;
                all.Add(result);
                last = result.Offset.Value;
            }
        }
        return all;
    }

    /// <summary>The datasources matching <paramref name="match"/>, by id.</summary>
    public static async Task<List<Datasource>> DatasourcesAsync(this PortalFactory portal, Expression<Func<Datasource, bool>> match)
    {
        var contexts = portal.Services.GetRequiredService<IDbContextFactory<KafkaMlDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await db.Datasources.AsNoTracking().Where(match).OrderBy(d => d.Id).ToListAsync();
    }

    /// <summary>Waits until the control logger has stored a datasource matching <paramref name="match"/>; returns it.</summary>
    public static async Task<Datasource> WaitForDatasourceAsync(this PortalFactory portal, Expression<Func<Datasource, bool>> match)
    {
        var found = await Eventually.Until(
            () => portal.DatasourcesAsync(match), found => found.Count > 0,
            _ => $"a datasource matching {match} to be stored; control logger: {portal.LoggerStats().Snapshot}");
        return Assert.Single(found);
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the counters of <paramref name="stats"/>.</summary>
    public static Task<ControlLoggerSnapshot> WaitUntilAsync(this ControlLoggerStats stats, Func<ControlLoggerSnapshot, bool> condition) =>
        Eventually.Until(() => stats.Snapshot, condition, snapshot => $"the control logger to get there: {snapshot}");

    private static IConsumer<byte[], byte[]> Consumer(PortalFactory portal) =>
        new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = portal.Kafka().BootstrapServers,
            GroupId = $"test-reader-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            FetchWaitMaxMs = 10,
        }).SetLogHandler((_, _) => { }).Build();

    /// <summary><c>topic:partition:offset</c>, as the control logger names a record.</summary>
    public static string Position(this TopicPartitionOffset position) =>
        $"{position.Topic}:{position.Partition.Value}:{position.Offset.Value}";
}
