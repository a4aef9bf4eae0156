using Bunit;
using KafkaMl.Tests.Components;
using KafkaMl.Web.Components.Pages;
using KafkaMl.Web.Services.Dashboards;
using KafkaMl.Web.Services.Overview;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Dashboards;

/// <summary>The home page's live overview (bUnit) over the real services, their notifiers and the embedded broker.</summary>
[Collection(EmbeddedBrokerCollection.Name)]
public sealed class OverviewSpecs(BrokerFixture broker)
    : PortalComponentContext(new KafkaEndpoint(broker.Broker.BootstrapServers, true, $"control-{Guid.NewGuid():N}"))
{
    protected override void AddServices(BunitServiceProvider services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new InferenceMonitor(TimeProvider.System, NullLogger<InferenceMonitor>.Instance));
        services.AddSingleton(new InferenceOrchestrator(Training.Runner, Training.Jobs, NullLogger<InferenceOrchestrator>.Instance));
        services.AddSingleton<InferenceService>();
        services.AddSingleton(sp => new DashboardHub(sp.GetRequiredService<KafkaEndpoint>(),
            Options.Create(new DashboardOptions { PushInterval = TimeSpan.FromMilliseconds(50) }), TimeProvider.System, NullLogger<DashboardHub>.Instance));
        services.AddSingleton<DashboardService>();
        services.AddSingleton<OverviewService>();
        services.AddHealthChecks();
        services.AddSingleton(Options.Create(new KafkaMl.Core.KafkaMlOptions()));
        services.AddScoped<PortalStatusService>();
    }

    [Fact]
    public async Task A_training_shows_its_progress_and_moves_on_as_epochs_are_reported()
    {
        var (_, resultIds) = await SeedDeploymentAsync(models: 1, TrainingStatus.Training);
        await ReportEpochAsync(resultIds[0], 1);

        var page = RenderWithProviders<Home>();

        page.WaitForAssertion(() => Assert.Equal("epoch 1 of 5", page.Text("overview-training-epochs")));
        await ReportEpochAsync(resultIds[0], 2, accuracy: 0.91); // validation accuracy 0.86
        page.WaitForAssertion(() => Assert.Equal("epoch 2 of 5", page.Text("overview-training-epochs")));
        Assert.Contains("Accuracy 0.86", page.Find("[data-testid=overview-training]").TextContent);
    }

    [Fact]
    public async Task A_serving_inference_shows_its_p99_once_its_replicas_report()
    {
        var inferenceId = await SeedInferenceAsync(InferenceStatus.Running, outputTopic: "out-overview");
        var page = RenderWithProviders<Home>();
        page.WaitForAssertion(() => Assert.Equal("–", page.Text("overview-inference-p99")));

        await Services.GetRequiredService<InferenceMonitor>().RecordAsync(inferenceId, InferenceTestData.AStatsReport("0"));

        page.WaitForAssertion(() => Assert.Equal(InferenceFormatMs(4.0), page.Text("overview-inference-p99")));
    }

    [Fact]
    public async Task The_latest_results_show_their_test_metrics_and_pinned_dashboards_show_their_live_figures()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Finished);
        await using (var db = Training.CreateContext())
        {
            await db.TrainingResults.Where(r => r.Id == resultId).ExecuteUpdateAsync(s => s.SetProperty(r => r.TestMetrics, new Dictionary<string, double> { ["accuracy"] = 0.875 }));
        }
        var topic = $"predictions-{Guid.NewGuid():N}";
        broker.Broker.CreateTopic(topic, 1);
        var dashboards = Services.GetRequiredService<DashboardService>();
        var pinned = (await dashboards.CreateAsync(new DashboardRequest("Pinned one", topic, "classification", 10, false, [new(1, "yes", "#00aa00")], null, Pinned: true))).Value!;
        await dashboards.CreateAsync(new DashboardRequest("Not pinned", topic, "classification", 10, false, [], null));

        var page = RenderWithProviders<Home>();

        page.WaitForAssertion(() => Assert.Contains("Accuracy 0.875", page.Find($"[data-testid=overview-result][data-result-id='{resultId}']").TextContent));
        Assert.Equal([pinned.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], page.FindAll("[data-testid=overview-dashboard]").Select(e => e.GetAttribute("data-dashboard-id")));
        await Eventually.Until(async () =>
        {
            await broker.ProduceAsync(topic, [new Message<byte[]?, byte[]?> { Value = DashboardMessages.OfClass(1, classes: 2) }]);
            return page.FindAll("[data-testid=overview-dashboard-current]").Select(e => e.TextContent).FirstOrDefault();
        }, label => label == "yes", "the pinned dashboard to show the class", TimeSpan.FromMilliseconds(200));
    }

    private static string InferenceFormatMs(double ms) => KafkaMl.Web.Components.Pages.Inference.InferenceFormat.Ms(ms);

    private async Task<int> SeedInferenceAsync(InferenceStatus status, string outputTopic)
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Finished);
        await using var db = Training.CreateContext();
        var inference = new KafkaMl.Core.Domain.Inference
        {
            ResultId = resultId, InputFormat = "RAW", InputTopic = "in-overview", OutputTopic = outputTopic, Status = status,
            StatusChanged = DateTimeOffset.UtcNow, InputPartitions = 1,
        };
        db.Inferences.Add(inference);
        await db.SaveChangesAsync();
        return inference.Id;
    }
}
