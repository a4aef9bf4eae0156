using Microsoft.Playwright;

namespace KafkaMl.Tests.Browser;

/// <summary>
/// Debian's Chromium (installed by scripts/install-test-deps.sh) driven by Playwright's bundled node driver.
/// Playwright never downloads a browser here: it launches the executable at <see cref="ExecutablePath"/>.
/// </summary>
public static class DebianChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>The size of every page and screenshot (small PNGs for the README).</summary>
    public static readonly ViewportSize Viewport = new() { Width = 1280, Height = 800 };

    // Headless on a closed network: without the background-networking flags Chromium keeps reaching for
    // Google's hosts and the machine refuses each connection. Playwright itself gives every launch a fresh,
    // empty user-data-dir (a temporary profile deleted on close).
    private static readonly string[] Arguments =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <summary>Starts Playwright's driver and a headless Chromium; fails (never skips) when Chromium is missing.</summary>
    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException(
                $"Debian's Chromium is not installed ({ExecutablePath} is missing); the browser tests need it. " +
                "Run `bash scripts/install-test-deps.sh` (it installs the `chromium` package).");
        }
        // Belt and braces: nothing in a test run may fetch a browser build.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = ExecutablePath,
                Headless = true,
                Args = Arguments,
                Timeout = 60_000,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}
