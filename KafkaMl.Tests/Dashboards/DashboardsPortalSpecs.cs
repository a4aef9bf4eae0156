using KafkaMl.Core.Broker;
using KafkaMl.Web.Auth;
using KafkaMl.Web.Services.Dashboards;
using Microsoft.AspNetCore.Mvc.Testing;
using static KafkaMl.Tests.Dashboards.DashboardMessages;

namespace KafkaMl.Tests.Dashboards;

/// <summary><c>/api/dashboards</c> over HTTP in the whole portal: who may do what, and the live summary from its broker.</summary>
[Collection(PortalCollection.Name)]
public sealed class DashboardsPortalSpecs(PortalFactory portal)
{
    [Fact]
    public async Task A_viewer_reads_dashboards_and_their_summary_but_only_an_editor_creates_or_changes_them()
    {
        using var admin = portal.CreateClient();
        var created = await admin.PostAsJsonAsync("/api/dashboards", DashboardsApiSpecs.ARequest(topic: $"watched-{Guid.NewGuid():N}"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<int>();
        using var viewer = await ClientAsync(KafkaMlRoles.Viewer);
        using var editor = await ClientAsync(KafkaMlRoles.Editor);

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/dashboards/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync($"/api/dashboards/{id}/summary")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/dashboards", DashboardsApiSpecs.ARequest())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PutAsJsonAsync($"/api/dashboards/{id}", DashboardsApiSpecs.ARequest(title: "renamed"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync($"/api/dashboards/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await editor.PutAsJsonAsync($"/api/dashboards/{id}", DashboardsApiSpecs.ARequest(title: "renamed"))).StatusCode);
        Assert.Equal("renamed", (await viewer.GetFromJsonAsync<JsonObject>($"/api/dashboards/{id}"))!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_summary_starts_the_topics_reader_and_answers_the_live_aggregates_by_their_names()
    {
        var topic = $"predictions-{Guid.NewGuid():N}";
        portal.Services.GetRequiredService<EmbeddedBroker>().CreateTopic(topic, 1);
        using var http = portal.CreateClient();
        var created = await http.PostAsJsonAsync("/api/dashboards", DashboardsApiSpecs.ARequest(topic: topic) with { LabelTopic = null, AverageUpdated = false });
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<int>();

        var first = (await http.GetFromJsonAsync<JsonObject>($"/api/dashboards/{id}/summary"))!;

        Assert.Equal(0, first["messages"]!.GetValue<long>());
        Assert.Contains(portal.Services.GetRequiredService<DashboardHub>().Watched(), w => w.Topic == topic);
        // The reader starts at the topic's end: sent until it reads, then one known message of each kind.
        var kafka = portal.Services.GetRequiredService<KafkaEndpoint>();
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        await Eventually.Until(async () =>
        {
            await producer.ProduceAsync(topic, new Message<byte[]?, byte[]> { Value = OfClass(0) });
            return (await http.GetFromJsonAsync<JsonObject>($"/api/dashboards/{id}/summary"))!["classCounts"]!.AsObject().Count;
        }, n => n > 0, "the reader to see a prediction", TimeSpan.FromMilliseconds(200));
        await producer.ProduceAsync(topic, new Message<byte[]?, byte[]> { Value = Bare(0.1f, 0.2f, 0.7f) });
        await producer.ProduceAsync(topic, new Message<byte[]?, byte[]> { Value = "not a prediction"u8.ToArray() });

        var summary = await Eventually.Until(() => http.GetFromJsonAsync<JsonObject>($"/api/dashboards/{id}/summary")!,
            s => s!["notPredictions"]!.GetValue<long>() == 1, "the message that is not a prediction to be counted");

        Assert.Equal(2, summary!["current"]!.GetValue<int>());
        Assert.Equal(2, summary["last"]!.AsArray()[^1]!.GetValue<int>());
        Assert.Equal(1, summary["classCounts"]!["2"]!.GetValue<long>());
        Assert.Equal("reading", summary["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_summary_of_a_dashboard_that_does_not_exist_answers_404()
    {
        using var http = portal.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/dashboards/987654/summary")).StatusCode);
    }

    private async Task<HttpClient> ClientAsync(string role)
    {
        var accounts = portal.Services.GetRequiredService<AccountService>();
        var (user, error) = await accounts.CreateUserAsync(Builders.UniqueName(role), role, "a-long-enough-password", CancellationToken.None);
        Assert.Null(error);
        var (_, token, _) = await accounts.CreateTokenAsync(user!.UserName, "test", CancellationToken.None);
        var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }
}
