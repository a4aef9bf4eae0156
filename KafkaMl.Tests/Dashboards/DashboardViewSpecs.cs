using Bunit;
using KafkaMl.Tests.Components;
using KafkaMl.Web.Components.Pages.Dashboards;
using KafkaMl.Web.Services.Dashboards;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Logging.Abstractions;
using static KafkaMl.Tests.Dashboards.DashboardMessages;

namespace KafkaMl.Tests.Dashboards;

/// <summary>The dashboard pages (bUnit) with the real hub reading the embedded broker: the view follows the topic without a reload.</summary>
[Collection(EmbeddedBrokerCollection.Name)]
public sealed class DashboardViewSpecs(BrokerFixture broker)
    : PortalComponentContext(new KafkaEndpoint(broker.Broker.BootstrapServers, true, $"control-{Guid.NewGuid():N}"))
{
    protected override void AddServices(BunitServiceProvider services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new DashboardHub(sp.GetRequiredService<KafkaEndpoint>(),
            Options.Create(new DashboardOptions { PushInterval = TimeSpan.FromMilliseconds(50) }), TimeProvider.System, NullLogger<DashboardHub>.Instance));
        services.AddSingleton<DashboardService>();
    }

    private DashboardService Dashboards => Services.GetRequiredService<DashboardService>();

    [Fact]
    public async Task The_tile_strip_and_bars_follow_the_predictions_as_they_arrive()
    {
        var topic = NewTopic();
        var dashboard = await CreateAsync(new DashboardRequest("Fraud", topic, "classification", 100, false, [new(0, "legit", "#2ca02c"), new(1, "fraud", "#d62728")], null));
        var page = RenderWithProviders<DashboardPage>(("Id", dashboard.Id));
        page.WaitForAssertion(() => Assert.Equal("0", page.Text("dashboard-messages")));

        // The reader starts at the topic's end: legit predictions until the page shows one, then three frauds.
        await Eventually.Until(async () =>
        {
            await broker.ProduceAsync(topic, [new Message<byte[]?, byte[]?> { Value = OfClass(0, classes: 2) }]);
            return page.Find("[data-testid=dashboard-tile]").GetAttribute("data-class");
        }, c => c == "0", "the page to show a legit prediction", TimeSpan.FromMilliseconds(200));
        await broker.ProduceAsync(topic, Enumerable.Range(0, 3).Select(_ => new Message<byte[]?, byte[]?> { Value = OfClass(1, classes: 2) }));

        page.WaitForAssertion(() => Assert.Equal(["1", "1", "1"], page.FindAll("[data-testid=dashboard-strip-item]").TakeLast(3).Select(e => e.GetAttribute("data-class"))));
        Assert.Equal("fraud", page.Text("dashboard-tile-label"));
        Assert.Contains("#d62728", page.Find("[data-testid=dashboard-tile]").GetAttribute("style"));
        Assert.Equal(page.Text("dashboard-messages"), page.Find("[data-testid=dashboard-bars]").GetAttribute("data-points"));
    }

    [Fact]
    public async Task A_dashboard_on_a_topic_that_does_not_exist_says_so()
    {
        var dashboard = await CreateAsync(new DashboardRequest("Nowhere", $"missing-{Guid.NewGuid():N}", "classification", 10, false, [], null));

        var page = RenderWithProviders<DashboardPage>(("Id", dashboard.Id));

        page.WaitForAssertion(() => Assert.Contains("does not exist", page.Text("dashboard-problem")));
    }

    [Fact]
    public async Task A_regression_shows_each_outputs_last_value_named_from_its_label_and_counts_what_is_not_a_prediction()
    {
        var topic = NewTopic();
        var dashboard = await CreateAsync(new DashboardRequest("Prices", topic, "regression", 100, false, [new(0, "price", "#1f77b4")], null));
        var page = RenderWithProviders<DashboardPage>(("Id", dashboard.Id));
        page.WaitForAssertion(() => Assert.Equal("0", page.Text("dashboard-messages")));

        await Eventually.Until(async () =>
        {
            await broker.ProduceAsync(topic, [new Message<byte[]?, byte[]?> { Value = Bare(1) }]);
            return page.FindAll("[data-testid=dashboard-output]").Count;
        }, n => n > 0, "the page to show an output", TimeSpan.FromMilliseconds(200));
        await broker.ProduceAsync(topic, [new Message<byte[]?, byte[]?> { Value = "<xml/>"u8.ToArray() }, new Message<byte[]?, byte[]?> { Value = Bare(42.5f) }]);

        page.WaitForAssertion(() => Assert.Equal("42.5", page.Text("dashboard-output-last")));
        Assert.Equal("1", page.Text("dashboard-not-predictions"));
        Assert.Contains("price", page.Find("[data-testid=dashboard-output]").TextContent);
    }

    [Fact]
    public async Task An_inferences_tab_opens_its_own_dashboard_on_its_output_made_the_first_time()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Finished);
        await using (var db = Training.CreateContext())
        {
            db.Inferences.Add(new KafkaMl.Core.Domain.Inference { ResultId = resultId, InputFormat = "RAW", InputTopic = "in-tab", OutputTopic = NewTopic(), StatusChanged = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        await using var read = Training.CreateContext();
        var inferenceId = await read.Inferences.Where(i => i.ResultId == resultId).Select(i => i.Id).SingleAsync();

        var tab = RenderWithProviders<InferenceDashboardTab>(("InferenceId", inferenceId));

        tab.WaitForAssertion(() => Assert.NotNull(tab.Find("[data-testid=dashboard-view]")));
        var own = Assert.Single(await Dashboards.ListAsync(), d => d.InferenceId == inferenceId);
        Assert.Equal(own.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), tab.Find("[data-testid=dashboard-view]").GetAttribute("data-dashboard-id"));
    }

    private string NewTopic()
    {
        var topic = $"predictions-{Guid.NewGuid():N}";
        broker.Broker.CreateTopic(topic, 1);
        return topic;
    }

    private async Task<DashboardResponse> CreateAsync(DashboardRequest request) => (await Dashboards.CreateAsync(request)).Value!;
}
