using KafkaMl.Core.Broker;
using KafkaMl.Web.Telemetry;
using Microsoft.Extensions.Hosting;

namespace KafkaMl.Tests.Telemetry;

/// <summary>Reading consumer lag only reads (it never creates what it reads about), and reads each service on its own Kafka.</summary>
[Collection(MetricsPortalCollection.Name)]
public sealed class MetricsLagSpecs(MetricsPortalFactory portal)
{
    [Fact]
    public async Task Reading_the_lag_of_a_service_whose_input_topic_does_not_exist_neither_creates_the_topic_nor_reports_a_lag()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var topic = $"metrics-missing-{Guid.NewGuid():N}"[..28];
        int inferenceId;
        using (var scope = portal.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
            var inference = new KafkaMl.Core.Domain.Inference
            {
                ResultId = resultId, InputFormat = "RAW", InputConfig = "{}", InputTopic = topic, OutputTopic = $"{topic}-out",
                Status = InferenceStatus.Running, StatusChanged = DateTimeOffset.UtcNow,
            };
            db.Inferences.Add(inference);
            await db.SaveChangesAsync();
            inferenceId = inference.Id;
        }

        // One refresh round, run here rather than waited for.
        await Refresher().RefreshAsync(CancellationToken.None);

        Assert.Null(portal.Services.GetRequiredService<ConsumerLagMonitor>().Get(inferenceId));
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = portal.Broker.BootstrapServers }).Build();
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == topic);
    }

    [Fact]
    public async Task A_chain_stage_on_a_kafka_of_its_own_is_read_there_and_a_cluster_that_cannot_be_read_leaves_only_its_services_unread()
    {
        using var edge = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));
        var topic = $"metrics-edge-{Guid.NewGuid():N}"[..24];
        edge.CreateTopic(topic, 2);
        using (var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = edge.BootstrapServers }).SetLogHandler((_, _) => { }).Build())
        {
            for (var i = 0; i < 7; i++) producer.Produce(new TopicPartition(topic, i % 2), new Message<byte[]?, byte[]?> { Value = [(byte)i] });
            producer.Flush(Eventually.Patience);
        }
        var unreachable = $"127.0.0.1:{KafkaMl.Tests.Jobs.Training.FakePortal.FreePort()}";
        var onEdge = await SeedRunningAsync(topic, edge.BootstrapServers);
        var nowhere = await SeedRunningAsync("metrics-nowhere", unreachable);
        try
        {
            var monitor = portal.Services.GetRequiredService<ConsumerLagMonitor>();
            // Nothing committed on the edge: the whole partition is behind, read from the edge broker, not the portal's.
            var lag = await Eventually.Until(() => monitor.Get(onEdge), l => l?.Total == 7, l => $"a lag of 7 on the edge broker ({l?.Total.ToString() ?? "none"})");
            Assert.Equal([0, 1], lag!.Partitions.Select(p => p.Partition));

            var failure = await Assert.ThrowsAsync<KafkaException>(() => Refresher().RefreshAsync(CancellationToken.None));
            Assert.Contains(unreachable, failure.Message, StringComparison.Ordinal);
            Assert.Equal(7, monitor.Get(onEdge)?.Total);
            Assert.Null(monitor.Get(nowhere));
        }
        finally
        {
            // Stopped services are not read: the portal's later rounds neither wait on the unreachable cluster nor on the gone edge.
            using var scope = portal.Services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
            await db.Inferences.Where(i => i.Id == onEdge || i.Id == nowhere).ExecuteUpdateAsync(set => set.SetProperty(i => i.Status, InferenceStatus.Stopped));
        }
    }

    private TelemetryRefresher Refresher() => portal.Services.GetServices<IHostedService>().OfType<TelemetryRefresher>().Single();

    private async Task<int> SeedRunningAsync(string topic, string bootstrapServers)
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        var inference = new KafkaMl.Core.Domain.Inference
        {
            ResultId = resultId, InputFormat = "RAW", InputConfig = "{}", InputTopic = topic, OutputTopic = $"{topic}-out",
            Status = InferenceStatus.Running, StatusChanged = DateTimeOffset.UtcNow, BootstrapServers = bootstrapServers, Stage = 2,
        };
        db.Inferences.Add(inference);
        await db.SaveChangesAsync();
        return inference.Id;
    }
}
