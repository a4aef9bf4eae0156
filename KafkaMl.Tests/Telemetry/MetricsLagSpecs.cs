using KafkaMl.Web.Telemetry;
using Microsoft.Extensions.Hosting;

namespace KafkaMl.Tests.Telemetry;

/// <summary>Reading consumer lag only reads: it never creates what it reads about.</summary>
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
        await portal.Services.GetServices<IHostedService>().OfType<TelemetryRefresher>().Single().RefreshAsync(CancellationToken.None);

        Assert.Null(portal.Services.GetRequiredService<ConsumerLagMonitor>().Get(inferenceId));
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = portal.Broker.BootstrapServers }).Build();
        Assert.DoesNotContain(admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics, t => t.Topic == topic);
    }
}
