using System.Net.Http.Headers;
using Microsoft.AspNetCore.Mvc.Testing;

namespace KafkaMl.Tests.Telemetry;

/// <summary>Who may read <c>/metrics</c>: admins and the metrics token; nobody else, unless the portal is open on loopback.</summary>
[Collection(MetricsPortalCollection.Name)]
public sealed class MetricsAccessSpecs(MetricsPortalFactory portal)
{
    private static readonly WebApplicationFactoryClientOptions NoRedirects = new() { AllowAutoRedirect = false };

    [Fact]
    public async Task A_request_without_credentials_is_refused_with_401_not_a_sign_in_redirect()
    {
        using var http = portal.CreateClient(NoRedirects).WithoutCredentials();

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_bearer_token_is_refused()
    {
        using var http = portal.CreateClient(NoRedirects).WithoutCredentials();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", MetricsPortalFactory.MetricsToken + "-not");

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task An_admin_reads_the_metrics_in_the_prometheus_text_format()
    {
        using var http = portal.CreateClient(NoRedirects);

        using var response = await http.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var scrape = MetricsText.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotEmpty(scrape.Samples);
    }

    [Fact]
    public async Task A_viewer_is_refused()
    {
        using var admin = portal.CreateClient();
        var name = Builders.UniqueName("viewer");
        (await admin.PostAsJsonAsync("/api/admin/users", new { userName = name, role = "viewer", password = "viewer-password-1" })).EnsureSuccessStatusCode();
        using var created = await admin.PostAsJsonAsync("/api/admin/tokens", new { name = "scrape", owner = name });
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString();
        using var viewer = portal.CreateClient(NoRedirects).WithoutCredentials();
        viewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task The_metrics_token_reads_the_metrics_and_nothing_else()
    {
        using var scraper = portal.CreateScraper();

        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await scraper.GetAsync("/api/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await scraper.GetAsync("/api/admin/users")).StatusCode);
    }

    [Fact]
    public async Task Open_mode_on_loopback_serves_the_metrics_without_credentials()
    {
        await using var open = new OpenModePortal();
        using var http = open.CreateClient(NoRedirects);

        using var response = await http.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(MetricsText.Parse(await response.Content.ReadAsStringAsync()).Samples);
    }

    [Fact]
    public async Task The_metrics_token_never_appears_in_the_logs()
    {
        await using var logged = new LoggedPortal();
        using var scraper = logged.CreateClient(NoRedirects).WithoutCredentials();
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LoggedPortal.Token);
        using var wrong = logged.CreateClient(NoRedirects).WithoutCredentials();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", LoggedPortal.Token + "-wrong");

        Assert.Equal(HttpStatusCode.OK, (await scraper.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await scraper.GetAsync("/api/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics")).StatusCode);

        Assert.NotEmpty(logged.Logs.Entries);
        Assert.DoesNotContain(LoggedPortal.Token, logged.Logs.Text, StringComparison.Ordinal);
    }

    /// <summary>A portal with a metrics token whose every log entry, of every category down to Trace, is captured.</summary>
    private sealed class LoggedPortal() : AdminPortalFactory("kafkaml-metrics-logged-")
    {
        public const string Token = "metrics-token-that-must-stay-out-of-logs";

        public CapturedLogs Logs { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("KafkaMl:Telemetry:MetricsToken", Token);
            builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));
        }
    }
}
