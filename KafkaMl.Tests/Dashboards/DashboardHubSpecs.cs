using System.Collections.Concurrent;
using KafkaMl.Core.Dashboards;
using KafkaMl.Web.Services.Dashboards;
using Microsoft.Extensions.Logging.Abstractions;
using static KafkaMl.Tests.Dashboards.DashboardMessages;

namespace KafkaMl.Tests.Dashboards;

/// <summary>The portal's shared dashboard readers against the embedded broker.</summary>
[Collection(EmbeddedBrokerCollection.Name)]
public sealed class DashboardHubSpecs(BrokerFixture broker) : IAsyncLifetime
{
    private static readonly DashboardSettings ThreeClasses = new(DashboardType.Classification, 1_000, AverageUpdated: false);

    // Readers of this hub outlive the pauses between a spec's summaries, however slow the shared machine; the idle
    // spec has a hub of its own with a short timeout.
    private readonly DashboardHub hub = NewHub(broker, TimeSpan.FromMinutes(5));

    private static DashboardHub NewHub(BrokerFixture broker, TimeSpan idle) => new(
        new KafkaEndpoint(broker.BootstrapServers, true, "control-dashboards"),
        Options.Create(new DashboardOptions { IdleTimeout = idle, PushInterval = TimeSpan.FromMilliseconds(50) }),
        TimeProvider.System,
        NullLogger<DashboardHub>.Instance);

    [Fact]
    public async Task Two_viewers_of_one_topic_share_one_reader_and_both_see_every_message()
    {
        var source = NewTopic();
        var first = new Viewer();
        var second = new Viewer();
        var (one, _) = hub.Watch(source, ThreeClasses, first.Take);
        var (two, _) = hub.Watch(source, ThreeClasses, second.Take);
        using (one)
        using (two)
        {
            await WarmUpAsync(source.Topic, () => first.Latest);
            await broker.ProduceAsync(source.Topic, Enumerable.Range(0, 30).Select(i => Message(null, OfClass(i % 2, classes: 4))));

            foreach (var viewer in new[] { first, second })
            {
                await Eventually.Until(() => Task.FromResult((CountOf(viewer.Latest, "0"), CountOf(viewer.Latest, "1"))), c => c == (15, 15),
                    "each viewer to be pushed every message");
            }
            var watched = Assert.Single(hub.Watched());
            Assert.Equal((source.Topic, 2), (watched.Topic, watched.Viewers));
            Assert.Equal(1, hub.ReadersStarted);
        }
    }

    [Fact]
    public async Task The_reader_stops_a_while_after_the_last_viewer_leaves()
    {
        await using var quick = NewHub(broker, TimeSpan.FromMilliseconds(300));
        var source = NewTopic();
        var viewer = new Viewer();
        var (viewing, _) = quick.Watch(source, ThreeClasses, viewer.Take);
        await WarmUpAsync(source.Topic, () => viewer.Latest);

        viewing.Dispose();

        await Eventually.Until(() => Task.FromResult(quick.Watched().Count), n => n == 0, "the reader to stop");
        var (again, _) = quick.Watch(source, ThreeClasses, viewer.Take);
        again.Dispose();
        Assert.Equal(2, quick.ReadersStarted);
    }

    [Fact]
    public async Task A_summary_starts_the_reader_and_counts_kafka_mls_bare_values_and_messages_that_are_not_predictions()
    {
        var source = NewTopic();

        var first = hub.Summary(source, ThreeClasses);

        Assert.Equal(0, first.Messages);
        Assert.Single(hub.Watched());
        await WarmUpAsync(source.Topic, () => hub.Summary(source, ThreeClasses));
        await broker.ProduceAsync(source.Topic, [Message(null, Bare(0.9f, 0.1f)), Message(null, "oops"u8.ToArray()), Message(null, "{\"values\": \"x\"}"u8.ToArray())]);

        var summary = await Eventually.Until(() => Task.FromResult(hub.Summary(source, ThreeClasses)), s => s.NotPredictions == 2 && CountOf(s, "0") == 1,
            "Kafka-ML's prediction and the two others to arrive");
        Assert.Equal(DashboardState.Reading, summary.State);
    }

    [Fact]
    public async Task A_topic_that_does_not_exist_is_said_so_and_not_created()
    {
        var source = new DashboardSource($"missing-{Guid.NewGuid():N}", null);

        var summary = await Eventually.Until(() => Task.FromResult(hub.Summary(source, ThreeClasses)), s => s.State == DashboardState.TopicMissing, "the missing topic to be reported");

        Assert.Contains("does not exist", summary.Problem);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build();
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(20)).Topics, t => t.Topic == source.Topic && !t.Error.IsError);
    }

    [Fact]
    public async Task Replaying_reads_back_and_joins_predictions_with_labels_by_key_into_the_accuracy_of_the_same_messages()
    {
        var source = NewTopic(labels: true);
        var random = new Random(5);
        var pairs = Enumerable.Range(0, 200).Select(i => (Key: Key(i), Predicted: random.Next(3), Truth: random.Next(3))).ToList();
        await broker.ProduceAsync(source.Topic, pairs.Select(p => Message(p.Key, OfClass(p.Predicted))));
        await broker.ProduceAsync(source.LabelTopic!, pairs.Select(p => Message(p.Key, Label(p.Truth))));

        hub.Replay(source, ThreeClasses, minutes: 5);

        var summary = await Eventually.Until(() => Task.FromResult(hub.Summary(source, ThreeClasses)), s => s.Labelled == pairs.Count, "every pair to be joined");
        Assert.Equal(pairs.Count(p => p.Predicted == p.Truth) / (double)pairs.Count, summary.Accuracy!.Value, precision: 12);
        Assert.Equal(pairs.Count, summary.Messages);
    }

    [Fact]
    public async Task A_missing_label_topic_is_said_so_while_the_predictions_are_read()
    {
        var source = NewTopic() with { LabelTopic = $"missing-labels-{Guid.NewGuid():N}" };

        var summary = await Eventually.Until(() => Task.FromResult(hub.Summary(source, ThreeClasses)), s => s.Problem is not null, "the missing label topic to be reported");

        Assert.Equal(DashboardState.Reading, summary.State);
        Assert.Contains("label topic", summary.Problem);
    }

    [Fact]
    public async Task Replaying_a_topic_being_read_starts_its_figures_again_from_that_time()
    {
        var source = NewTopic();
        await broker.ProduceAsync(source.Topic, Enumerable.Range(0, 7).Select(_ => Message(null, OfClass(1))));
        await WarmUpAsync(source.Topic, () => hub.Summary(source, ThreeClasses));

        hub.Replay(source, ThreeClasses, minutes: 10);

        // Read back: every message of the topic once, the seven sent before the reader started among them (the
        // figures started again, so the warm-up messages read before the replay are not counted twice).
        var total = broker.HighWatermarkSum(source.Topic);
        var summary = await Eventually.Until(() => Task.FromResult(hub.Summary(source, ThreeClasses)), s => s.Messages >= total, "the replay to read the topic back");
        Assert.Equal((total, 7L), (summary.Messages, CountOf(summary, "1")));
    }

    private DashboardSource NewTopic(bool labels = false)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        broker.Broker.CreateTopic($"predictions-{id}", 2);
        if (labels) broker.Broker.CreateTopic($"labels-{id}", 2);
        return new DashboardSource($"predictions-{id}", labels ? $"labels-{id}" : null);
    }

    /// <summary>
    /// Sends class 2 to partition 0 and class 3 to partition 1 until the figures <paramref name="probe"/> answers have
    /// both: the reader, which starts at the topic's end, then reads whatever comes next on each partition. The specs'
    /// own messages use other classes, so warm-up messages still in flight do not change what they check.
    /// </summary>
    private async Task WarmUpAsync(string topic, Func<DashboardSummary?> probe) =>
        await Eventually.Until(async () =>
        {
            await broker.ProduceAsync(topic, [Message(null, OfClass(2, classes: 4))], partition: 0);
            await broker.ProduceAsync(topic, [Message(null, OfClass(3, classes: 4))], partition: 1);
            return probe()?.ClassCounts;
        }, counts => counts is not null && counts.ContainsKey("2") && counts.ContainsKey("3"), "the reader to read both partitions", TimeSpan.FromMilliseconds(200));

    private static long CountOf(DashboardSummary? summary, string @class) => summary?.ClassCounts?.GetValueOrDefault(@class) ?? 0;

    private static Message<byte[]?, byte[]?> Message(byte[]? key, byte[] value) => new() { Key = key, Value = value };

    private sealed class Viewer
    {
        private readonly ConcurrentQueue<DashboardSummary> seen = new();

        public DashboardSummary? Latest => seen.LastOrDefault();

        public Task Take(DashboardSummary summary)
        {
            seen.Enqueue(summary);
            return Task.CompletedTask;
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await hub.DisposeAsync();
}
