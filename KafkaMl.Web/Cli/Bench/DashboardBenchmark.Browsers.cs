using System.Diagnostics;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench dashboard --portal --browsers N</c>: the viewers as real Blazor circuits, N headless Chromium processes
/// (Debian's, installed by scripts/install-test-deps.sh) each with the dashboard's page open, each its own profile.
/// No Playwright here: the page only has to stay open, and a headless Chromium given a URL keeps it open until killed.
/// The browsers run under SCHED_IDLE, so they take only the CPU the portal leaves (on a real team they run on other machines).
/// </summary>
internal sealed class DashboardBrowsers : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    // Headless on a closed network, as the browser tests run it (KafkaMl.Tests/Browser/DebianChromium.cs).
    private static readonly string[] Arguments =
    [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--mute-audio", "--window-size=1280,800",
    ];

    private readonly List<(Process Process, string Profile)> browsers = [];

    private DashboardBrowsers()
    {
    }

    /// <summary>Opens <paramref name="url"/> in <paramref name="count"/> headless Chromium processes.</summary>
    public static DashboardBrowsers Open(string url, int count)
    {
        if (!File.Exists(ChromiumPath))
            throw new BenchFailure($"--browsers needs Chromium at {ChromiumPath}: run `bash scripts/install-test-deps.sh` (it installs the `chromium` package).");
        var opened = new DashboardBrowsers();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var profile = Directory.CreateTempSubdirectory("kafkaml-bench-chromium-").FullName;
                // Under the idle scheduling policy (its renderers inherit it; Chromium resets nice values, not the policy):
                // a viewer's browser runs on the viewer's machine, not beside the portal, so its drawing must not count as
                // the portal's slowness on a 2-core host.
                var start = new ProcessStartInfo("chrt") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var argument in (string[])["--idle", "0", ChromiumPath, .. Arguments]) start.ArgumentList.Add(argument);
                start.ArgumentList.Add($"--user-data-dir={profile}");
                start.ArgumentList.Add(url);
                var process = Process.Start(start) ?? throw new BenchFailure($"{ChromiumPath} did not start.");
                // Chromium's chatter is not ours to show; read it away so its pipes never fill and block it.
                process.OutputDataReceived += (_, _) => { };
                process.ErrorDataReceived += (_, _) => { };
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                opened.browsers.Add((process, profile));
            }
            return opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    /// <summary>Fails the bench when a browser died: its circuit would silently be missing from the figures.</summary>
    public void EnsureRunning()
    {
        var dead = browsers.Count(b => b.Process.HasExited);
        if (dead > 0) throw new BenchFailure($"{dead} of {browsers.Count} Chromium viewer(s) exited during the run.");
    }

    /// <summary>
    /// Closes the browsers as a user closing them would (SIGTERM: Chromium shuts down, its pages unload and Blazor
    /// tells the portal their circuits are gone), so the portal does not keep them as disconnected circuits.
    /// </summary>
    public async Task CloseAsync()
    {
        foreach (var (process, _) in browsers.Where(b => !b.Process.HasExited))
        {
            using var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
            if (term is not null) await term.WaitForExitAsync();
        }
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            foreach (var (process, _) in browsers) await process.WaitForExitAsync(patience.Token);
        }
        catch (OperationCanceledException)
        {
            // Dispose kills what is left.
        }
        Dispose();
    }

    public void Dispose()
    {
        foreach (var (process, profile) in browsers)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            process.Dispose();
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        browsers.Clear();
    }
}
