using KafkaMl.Core.Telemetry;

namespace KafkaMl.Tests.Telemetry;

/// <summary>
/// A Prometheus scrape of <c>/metrics</c> while a real inference service runs (a replica consuming from the portal's
/// embedded broker and reporting to the portal), parsed as Prometheus text.
/// </summary>
[Collection(MetricsPortalCollection.Name)]
public sealed class MetricsScrapeSpecs(MetricsPortalFactory portal, ITestOutputHelper output)
{
    private const string LatencyCount = "kafkaml_inference_latency_seconds_count";
    private const string LatencyBucket = "kafkaml_inference_latency_seconds_bucket";
    private const string ConsumerLag = "kafkaml_inference_consumer_lag";

    [Fact]
    public async Task The_latency_histograms_count_equals_the_predictions_the_service_reports_bucket_by_bucket()
    {
        await using var service = await MetricsServiceRun.StartAsync(portal);
        var series = Series(service);
        // Inputs waiting while the replica joins (slow answers), then inputs sent to a serving replica (quick ones).
        await service.SendAsync(portal, 0, 30);
        await Eventually.Until(() => ReportedOutAsync(service.InferenceId), n => n == 30, n => $"the service to report 30 predictions ({n} so far)");
        await service.SendAsync(portal, 30, 30);

        var reported = await Eventually.Until(() => ReportedOutAsync(service.InferenceId), n => n == 60, n => $"the service to report 60 predictions ({n} so far)");
        var scrape = await Eventually.Until(portal.ScrapeAsync, s => s.Sum(LatencyCount, series) == reported,
            s => $"a histogram count of {reported} ({s.Sum(LatencyCount, series)} scraped)");

        Assert.Equal("histogram", scrape.Types["kafkaml_inference_latency_seconds"]);
        Assert.Equal(reported, scrape.Sum("kafkaml_inference_messages_out_total", series));
        Assert.Equal(reported, scrape.Sum("kafkaml_inference_messages_in_total", series));
        // Each bucket holds what the replica counted in it: the portal rebuilt the replica's histogram exactly.
        var counted = service.Engine.Stats.LatencyHistogram().Counts;
        var buckets = scrape.Find(LatencyBucket, series)
            .ToDictionary(b => MetricsText.ParseValue(b.Labels["le"]), b => b.Value);
        Assert.Equal(LatencyBuckets.Count, buckets.Count);
        var cumulative = 0L;
        for (var i = 0; i < LatencyBuckets.BoundariesSeconds.Count; i++)
        {
            cumulative += counted[i];
            Assert.Equal(cumulative, buckets[LatencyBuckets.BoundariesSeconds[i]]);
        }
        Assert.Equal(reported, buckets[double.PositiveInfinity]);
        Assert.True(scrape.Sum("kafkaml_inference_latency_seconds_sum", series) > 0);
        output.WriteLine($"{reported} predictions; buckets [{string.Join(", ", counted)}]");
    }

    [Fact]
    public async Task Consumer_lag_rises_while_the_replica_is_paused_and_returns_to_zero_once_it_caught_up()
    {
        await using var service = await MetricsServiceRun.StartAsync(portal);
        await service.SendAsync(portal, 0, 20);
        var lag = new[] { ("inference", Id(service)), ("topic", service.InputTopic) };
        await Eventually.Until(portal.ScrapeAsync, s => s.Find(ConsumerLag, lag).Count == 2 && s.Sum(ConsumerLag, lag) == 0,
            s => $"both partitions with no lag ({s.Sum(ConsumerLag, lag)} over {s.Find(ConsumerLag, lag).Count} partition(s))");

        service.Pause();
        await service.SendAsync(portal, 20, 30);
        var behind = await Eventually.Until(portal.ScrapeAsync, s => s.Sum(ConsumerLag, lag) == 30, s => $"a lag of the 30 inputs sent while paused ({s.Sum(ConsumerLag, lag)})");
        Assert.All(behind.Find(ConsumerLag, lag), sample => Assert.Contains(sample.Labels["partition"], new[] { "0", "1" }));
        Assert.Equal(30, portal.Services.GetRequiredService<KafkaMl.Web.Telemetry.ConsumerLagMonitor>().Get(service.InferenceId)?.Total);

        service.Resume();
        await Eventually.Until(portal.ScrapeAsync, s => s.Sum(ConsumerLag, lag) == 0, s => $"the lag back at zero ({s.Sum(ConsumerLag, lag)})");
        await Eventually.Until(() => ReportedOutAsync(service.InferenceId), n => n == 50, n => $"all 50 inputs answered ({n} reported)");
    }

    [Fact]
    public async Task Training_series_count_each_deployments_epochs_versions_and_samples_and_every_status_has_a_job_count()
    {
        // An id no other portal of the suite reaches, so no other portal's series can carry the same label.
        var deploymentId = 500_000 + Random.Shared.Next(400_000);
        using (var scope = portal.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
            var model = Builders.AModel();
            var configuration = new Configuration { Name = Builders.UniqueName("metrics-configuration"), Models = { model } };
            db.Configurations.Add(configuration);
            await db.SaveChangesAsync();
            var deployment = Builders.ADeployment(configuration.Id, model.Id);
            deployment.Id = deploymentId;
            db.Deployments.Add(deployment);
            await db.SaveChangesAsync();
            var result = deployment.Results.Single();
            result.Epochs.AddRange(Enumerable.Range(1, 3).Select(epoch => new EpochMetric { Epoch = epoch, RecordedAt = DateTimeOffset.UtcNow }));
            result.Versions.Add(new ModelVersion { Version = 1, SamplesSeen = 100, WeightsPath = "v1", PublishedAt = DateTimeOffset.UtcNow });
            result.Versions.Add(new ModelVersion { Version = 2, SamplesSeen = 250, WeightsPath = "v2", PublishedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        var deploymentLabel = ("deployment", deploymentId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The series appear with the deployment, and reach its epochs and versions at the first refresh after they were saved.
        var scrape = await Eventually.Until(portal.ScrapeAsync, s => Training(s) == (3, 2, 250),
            s => $"3 epochs, 2 versions and 250 samples (scraped {Training(s)})");

        Assert.Equal(EnumNames.Names<TrainingStatus>().Order(), scrape.Find("kafkaml_training_jobs").Select(s => s.Labels["status"]).Distinct().Order());

        (double Epochs, double Versions, double Samples) Training(MetricsText s) => (s.Sum("kafkaml_training_epochs_total", deploymentLabel),
            s.Sum("kafkaml_training_versions_total", deploymentLabel), s.Sum("kafkaml_training_samples_read_total", deploymentLabel));
    }

    [Fact]
    public async Task The_portals_kafka_clients_and_the_runtime_appear_in_the_scrape()
    {
        // ASP.NET Core's own series (http_server_*) are not checked here: every in-process portal of the suite publishes
        // an instrument of the same name, and once another portal is disposed the OpenTelemetry SDK may stop exporting the
        // shared stream, so their presence depends on which specs ran first. A real portal serves them (README, Monitoring).
        var scrape = await Eventually.Until(portal.ScrapeAsync,
            s => s.Find("kafkaml_kafka_client_requests_sent_total").Any(c => c.Labels["client"].StartsWith("kafkaml-control-logger", StringComparison.Ordinal) && c.Value > 0),
            s => $"the control logger's librdkafka statistics (clients: {string.Join(", ", s.Find("kafkaml_kafka_client_requests_sent_total").Select(c => c.Labels["client"]))})");

        Assert.True(scrape.Sum("dotnet_process_memory_working_set_bytes") > 0);
        Assert.NotEmpty(scrape.Find("dotnet_gc_collections_total"));
    }

    private static string Id(MetricsServiceRun service) => service.InferenceId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (string, string)[] Series(MetricsServiceRun service) => [("inference", Id(service)), ("replica", service.Replica)];

    /// <summary>The predictions the service reports delivered, as the portal's API shows them.</summary>
    private async Task<long> ReportedOutAsync(int inferenceId)
    {
        using var http = portal.CreateClient();
        var inference = await http.GetFromJsonAsync<JsonElement>($"/api/inferences/{inferenceId}");
        return inference.GetProperty("stats").GetProperty("messagesOut").GetInt64();
    }
}
