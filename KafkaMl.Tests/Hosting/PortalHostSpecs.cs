using Hangfire;
using KafkaMl.Web.Jobs;

namespace KafkaMl.Tests.Hosting;

[Collection(PortalCollection.Name)]
public sealed class PortalHostSpecs(PortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    [Fact]
    public async Task Status_names_the_embedded_broker_and_its_control_topic()
    {
        var status = await http.GetFromJsonAsync<StatusDto>("/api/status", JsonSerializerOptions.Web);

        Assert.NotNull(status);
        Assert.True(status.Kafka.Embedded);
        Assert.StartsWith("127.0.0.1:", status.Kafka.BootstrapServers);
        Assert.Equal("KAFKA_ML_CONTROL_TOPIC", status.Kafka.ControlTopic);
        Assert.Equal("local", status.Runner);
    }

    [Fact]
    public async Task The_control_topic_exists_on_the_embedded_broker_at_start()
    {
        var status = await http.GetFromJsonAsync<StatusDto>("/api/status", JsonSerializerOptions.Web);
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = status!.Kafka.BootstrapServers }).Build();

        var metadata = admin.GetMetadata(status.Kafka.ControlTopic, TimeSpan.FromSeconds(10));

        var topic = Assert.Single(metadata.Topics);
        Assert.Equal(ErrorCode.NoError, topic.Error.Code);
    }

    [Fact]
    public async Task Healthz_reports_database_broker_and_hangfire_healthy()
    {
        using var response = await http.GetAsync("/healthz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = body.RootElement.GetProperty("checks");
        foreach (var component in new[] { "database", "broker", "hangfire" })
            Assert.Equal("healthy", checks.GetProperty(component).GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_hangfire_server_runs_the_recurring_housekeeping_job()
    {
        var status = portal.Services.GetRequiredService<HousekeepingStatus>();
        var ran = new TaskCompletionSource();
        status.Ran += () => ran.TrySetResult();

        portal.Services.GetRequiredService<IRecurringJobManager>().Trigger(HousekeepingJob.RecurringId);

        await ran.Task.WaitAsync(Eventually.Patience);
        Assert.NotNull(status.LastRun);
    }

    [Fact]
    public async Task The_openapi_document_describes_models_configurations_and_status()
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");

        foreach (var path in new[] { "/api/models", "/api/models/{id}", "/api/configurations", "/api/configurations/{id}", "/api/status" })
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
    }

    [Fact]
    public async Task The_api_page_is_browsable()
    {
        using var response = await http.GetAsync("/api/docs/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/models")]
    [InlineData("/configurations")]
    [InlineData("/deployments")]
    [InlineData("/results")]
    [InlineData("/inferences")]
    [InlineData("/datasources")]
    [InlineData("/status")]
    public async Task Every_portal_page_renders_with_navigation_and_the_broker_address(string page)
    {
        var status = await http.GetFromJsonAsync<StatusDto>("/api/status", JsonSerializerOptions.Web);

        var html = await http.GetStringAsync(page);

        foreach (var link in new[] { "href=\"models\"", "href=\"configurations\"", "href=\"deployments\"", "href=\"results\"", "href=\"inferences\"", "href=\"datasources\"" })
            Assert.Contains(link, html);
        Assert.Contains(status!.Kafka.BootstrapServers, html);
    }

    [Fact]
    public async Task Static_assets_of_the_portal_and_of_mudblazor_are_served()
    {
        foreach (var asset in new[] { "/app.css", "/kafkaml.svg", "/_content/MudBlazor/MudBlazor.min.css", "/_framework/blazor.web.js" })
        {
            using var response = await http.GetAsync(asset);
            Assert.True(response.IsSuccessStatusCode, $"{asset} answered {(int)response.StatusCode}");
        }
    }
}
