using KafkaMl.Tests.EndToEnd;
using Microsoft.Playwright;

namespace KafkaMl.Tests.Browser;

/// <summary>
/// The real portal process (its embedded broker, SQLite file in a temporary data directory, local job runner;
/// see <see cref="PortalProcessFixture"/>) and one headless Debian Chromium, shared by a test collection.
/// Subclasses may seed the data directory before the portal starts.
/// </summary>
public class BrowserPortalFixture : IAsyncLifetime
{
    private IPlaywright? playwright;

    public PortalProcessFixture Portal { get; } = new();

    public IBrowser Browser { get; private set; } = null!;

    public Uri BaseAddress => Portal.Http.BaseAddress!;

    public async Task InitializeAsync()
    {
        // Generous defaults: a first render waits for the circuit, training pages for real training jobs.
        Assertions.SetDefaultExpectTimeout(30_000);
        await SeedAsync(Portal.DataDir);
        await Portal.InitializeAsync();
        (playwright, Browser) = await DebianChromium.LaunchAsync();
    }

    /// <summary>Runs before the portal starts, on its (empty) data directory.</summary>
    protected virtual Task SeedAsync(string dataDir) => Task.CompletedTask;

    /// <summary>A new browser context (fresh cookies, the README's viewport) and page on the portal.</summary>
    public async Task<PortalPage> NewPageAsync(ITestOutputHelper output)
    {
        var context = await Browser.NewContextAsync(new()
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = DebianChromium.Viewport,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(30_000);
        return new PortalPage(await context.NewPageAsync(), output);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        playwright?.Dispose();
        await Portal.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserPortalFixture>
{
    public const string Name = "browser";
}
