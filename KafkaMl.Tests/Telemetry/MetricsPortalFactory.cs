using System.Net.Http.Headers;
using KafkaMl.Core.Broker;

namespace KafkaMl.Tests.Telemetry;

/// <summary>
/// The whole portal (accounts mode, admin <see cref="TestAdmin"/>) with a metrics token and broker-side series read
/// every 200 ms, so a scrape follows a service closely. One per collection.
/// </summary>
public sealed class MetricsPortalFactory() : AdminPortalFactory("kafkaml-metrics-")
{
    public const string MetricsToken = "metrics-token-of-the-specs";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("KafkaMl:Telemetry:MetricsToken", MetricsToken);
        builder.UseSetting("KafkaMl:Telemetry:RefreshInterval", "00:00:00.200");
    }

    /// <summary>The portal's own embedded broker, where its inference services read and write.</summary>
    public EmbeddedBroker Broker => Services.GetRequiredService<EmbeddedBroker>();

    /// <summary>A client sending the metrics token instead of the admin's API token.</summary>
    public HttpClient CreateScraper()
    {
        var client = CreateClient().WithoutCredentials();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", MetricsToken);
        return client;
    }

    /// <summary>One scrape of <c>/metrics</c> with the metrics token, parsed.</summary>
    public async Task<MetricsText> ScrapeAsync()
    {
        using var scraper = CreateScraper();
        using var response = await scraper.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        return MetricsText.Parse(await response.Content.ReadAsStringAsync());
    }
}

[CollectionDefinition(Name)]
public sealed class MetricsPortalCollection : ICollectionFixture<MetricsPortalFactory>
{
    public const string Name = "metrics-portal";
}
