using System.Text.RegularExpressions;
using KafkaMl.Tests.EndToEnd;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KafkaMl.Tests.Browser;

/// <summary>
/// One browser page on the portal, with the moves every browser test makes: open a path (signing in when the
/// portal asks), wait for the Blazor circuit, find elements by the contract's data-testid, and take the
/// screenshots the README shows (docs/screenshots) or that explain a failure (artifacts/browser-failures).
/// </summary>
public sealed class PortalPage : IAsyncDisposable
{
    public const string SignInPath = "/account/login";

    // The portal processes of the browser tests start with this admin (PortalProcessFixture).
    public static string AdminUser => TestAdmin.UserName;
    public static string AdminPassword => TestAdmin.Password;

    public static string ScreenshotsDir => Path.Combine(KafkaMlProcess.RepoRoot, "docs", "screenshots");

    public static string FailuresDir => Path.Combine(KafkaMlProcess.RepoRoot, "artifacts", "browser-failures");

    private const string PaletteBackground = "() => getComputedStyle(document.documentElement).getPropertyValue('--mud-palette-background')";

    private readonly List<string> pageErrors = [];
    private readonly ITestOutputHelper output;

    public PortalPage(IPage page, ITestOutputHelper output)
    {
        Page = page;
        this.output = output;
        page.PageError += (_, error) =>
        {
            lock (pageErrors) pageErrors.Add(error);
            Log($"page error: {error}");
        };
    }

    public IPage Page { get; }

    /// <summary>Uncaught script errors seen on the page so far.</summary>
    public IReadOnlyList<string> PageErrors => pageErrors;

    public string CurrentPath => new Uri(Page.Url).AbsolutePath;

    /// <summary>
    /// Navigates to <paramref name="path"/>, signs in first if the portal redirects to the sign-in page, waits until
    /// the circuit answers, and checks that Blazor's error UI stays hidden.
    /// </summary>
    public async Task OpenAsync(string path)
    {
        await Page.GotoAsync(path);
        if (CurrentPath.StartsWith(SignInPath, StringComparison.OrdinalIgnoreCase))
        {
            await SignInAsync();
            await Page.GotoAsync(path);
        }
        await WaitForCircuitAsync();
        await ExpectNoErrorUiAsync();
    }

    /// <summary>Signs in on the page the portal redirected to (<see cref="SignInPath"/>) and waits to be sent on.</summary>
    public async Task SignInAsync()
    {
        // A cookie sign-in is usually a static server-rendered form (no circuit, maybe no app bar); an interactive
        // one must have its circuit before typing, or the values typed into the prerendered inputs are lost.
        if (await Page.GetByLabel("toggle theme").CountAsync() > 0) await WaitForCircuitAsync();
        else await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await FillAsync("login-username", AdminUser);
        await FillAsync("login-password", AdminPassword);
        await ByTestId("login-submit").ClickAsync();
        await Expect(Page).Not.ToHaveURLAsync(new Regex(Regex.Escape(SignInPath), RegexOptions.IgnoreCase));
    }

    /// <summary>
    /// Waits until the Blazor circuit handles events: pages are prerendered, so content shows before the circuit
    /// connects and a click before then does nothing. Once the network is idle (script loaded, circuit negotiated),
    /// toggles the theme until the palette changes, then back, leaving the page as it was.
    /// </summary>
    public async Task WaitForCircuitAsync()
    {
        await Page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        var light = await Page.EvaluateAsync<string>(PaletteBackground);
        await ToggleThemeUntilAsync(light, dark: true);
        await ToggleThemeUntilAsync(light, dark: false);
    }

    private async Task ToggleThemeUntilAsync(string light, bool dark)
    {
        var reached = $"light => (({PaletteBackground})() === light) === {(dark ? "false" : "true")}";
        await Eventually.Until(async () =>
        {
            if (await Page.EvaluateAsync<bool>(reached, light)) return true;
            await Page.GetByLabel("toggle theme").ClickAsync();
            try
            {
                await Page.WaitForFunctionAsync(reached, light, new() { Timeout = 5_000 });
                return true;
            }
            catch (TimeoutException)
            {
                return false; // The click came before the circuit connected and was lost; click again.
            }
        }, $"the theme to turn {(dark ? "dark" : "light")}");
    }

    /// <summary>
    /// Opens <paramref name="path"/> and saves it as docs/screenshots/<paramref name="name"/>-{1280|1920}-{light|dark}.png,
    /// to check the layout at both widths and in both themes.
    /// </summary>
    /// <remarks>At each size it also checks the layout: no chart drawn beyond its box, no table cut by its card.</remarks>
    public async Task ShootWidthsAndThemesAsync(string path, string name)
    {
        await OpenAsync(path);
        var faults = new List<string>();
        foreach (var dark in new[] { false, true })
        {
            if (dark) await ToggleThemeUntilAsync(await Page.EvaluateAsync<string>(PaletteBackground), dark: true);
            foreach (var width in new[] { 1280, 1920 })
            {
                await Page.SetViewportSizeAsync(width, width == 1280 ? 800 : 1080);
                await Page.WaitForTimeoutAsync(300); // charts resize on the window's resize event
                var shot = $"{name}-{width}-{(dark ? "dark" : "light")}";
                await ScreenshotAsync(ScreenshotsDir, shot);
                faults.AddRange((await Page.EvaluateAsync<string[]>(LayoutFaults)).Select(fault => $"{shot}: {fault}"));
            }
        }
        await Page.SetViewportSizeAsync(DebianChromium.Viewport.Width, DebianChromium.Viewport.Height);
        Assert.True(faults.Count == 0, string.Join("\n", faults));
    }

    /// <summary>Charts taller or wider than their fixed box (an axis cut off) and tables that overflow their container.</summary>
    private const string LayoutFaults = """
        () => {
            const faults = [];
            for (const box of document.querySelectorAll('.plot-box')) {
                const svg = box.querySelector('.main-svg');
                if (!svg) continue;
                const b = box.getBoundingClientRect(), s = svg.getBoundingClientRect();
                if (s.height > b.height + 1 || s.width > b.width + 1)
                    faults.push(`chart ${box.dataset.testid ?? ''} is ${Math.round(s.width)}x${Math.round(s.height)} in a ${Math.round(b.width)}x${Math.round(b.height)} box`);
            }
            for (const container of document.querySelectorAll('.mud-table-container')) {
                if (container.scrollWidth > container.clientWidth + 1)
                    faults.push(`table ${container.closest('[data-testid]')?.dataset.testid ?? ''} is ${container.scrollWidth} px wide in ${container.clientWidth} px`);
            }
            return faults;
        }
        """;

    public Task ExpectNoErrorUiAsync() => Expect(Page.Locator("#blazor-error-ui")).ToBeHiddenAsync();

    public ILocator ByTestId(string testId) => Page.GetByTestId(testId);

    /// <summary>The input, textarea or select that carries <paramref name="testId"/> or sits inside the element that does.</summary>
    public ILocator Input(string testId) =>
        Page.Locator($"[data-testid='{testId}'] :is(input:not([type=hidden]), textarea, select), :is(input, textarea, select)[data-testid='{testId}']").First;

    /// <summary>Types <paramref name="value"/> into a field and leaves it, so a bind-on-change field takes the value.</summary>
    public async Task FillAsync(string testId, string value)
    {
        var input = Input(testId);
        await input.FillAsync(value);
        await input.BlurAsync();
    }

    /// <summary>
    /// Picks the option whose text contains <paramref name="text"/> in a choice carrying <paramref name="testId"/>:
    /// a native select, options shown inside the element (radio buttons, chips, cards), or a MudSelect whose list
    /// opens in a popover.
    /// </summary>
    public async Task ChooseAsync(string testId, string text)
    {
        await ByTestId(testId).First.WaitForAsync(); // it may appear only after an earlier step's effect (e.g. a file read)
        var input = Input(testId);
        if (await input.CountAsync() > 0 && await input.EvaluateAsync<string>("e => e.tagName") == "SELECT")
        {
            var label = await input.Locator("option").Filter(new() { HasText = text }).First.TextContentAsync();
            await input.SelectOptionAsync(new SelectOptionValue { Label = label!.Trim() });
            return;
        }
        var shown = ByTestId(testId).GetByText(text);
        if (await shown.CountAsync() > 0 && await shown.First.IsVisibleAsync() && !await IsMudSelectAsync(testId))
        {
            await shown.First.ClickAsync();
            return;
        }
        await ByTestId(testId).ClickAsync();
        await Page.Locator(".mud-popover-open :is([role=option], .mud-list-item)").Filter(new() { HasText = text }).First.ClickAsync();
        await Expect(Page.Locator(".mud-popover-open :is([role=option], .mud-list-item)")).ToHaveCountAsync(0);
    }

    private Task<bool> IsMudSelectAsync(string testId) =>
        ByTestId(testId).EvaluateAsync<bool>("e => e.classList.contains('mud-select') || e.querySelector('.mud-select') !== null");

    /// <summary>
    /// Runs one step of a walk-through. Afterwards the page is saved as docs/screenshots/<paramref name="name"/>.png;
    /// when the step fails, as artifacts/browser-failures/<paramref name="name"/>.png, named in the error.
    /// </summary>
    public async Task StepAsync(string name, Func<Task> step, bool fullPage = true)
    {
        Log($"step {name}");
        try
        {
            await step();
            await ExpectNoErrorUiAsync();
        }
        catch (Exception e)
        {
            var shot = await ScreenshotAsync(FailuresDir, name);
            throw new Xunit.Sdk.XunitException(
                $"Browser step '{name}' failed at {Page.Url}; screenshot {shot}\n" +
                $"page errors: {(pageErrors.Count == 0 ? "none" : string.Join(" | ", pageErrors))}\n{e}");
        }
        await ScreenshotAsync(ScreenshotsDir, name, fullPage);
    }

    public async Task<string> ScreenshotAsync(string directory, string name, bool fullPage = true)
    {
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, name + ".png");
        var viewport = Page.ViewportSize;
        // A full-page shot draws fixed parts (the navigation drawer) once, a viewport high: a viewport as tall as the
        // page shows them as a user scrolling sees them, down the whole page.
        var height = fullPage && viewport is not null ? await Page.EvaluateAsync<int>("() => document.documentElement.scrollHeight") : 0;
        if (viewport is not null && height > viewport.Height) await Page.SetViewportSizeAsync(viewport.Width, height);
        try
        {
            await Page.ScreenshotAsync(new() { Path = file, FullPage = fullPage, Animations = ScreenshotAnimations.Disabled });
        }
        finally
        {
            if (viewport is not null && height > viewport.Height) await Page.SetViewportSizeAsync(viewport.Width, viewport.Height);
        }
        Log($"screenshot {file}");
        return file;
    }

    public async ValueTask DisposeAsync() => await Page.Context.CloseAsync();

    /// <summary>Writes to the test's output; events may arrive after the test ended, when xunit refuses output.</summary>
    public void Log(string line)
    {
        try { output.WriteLine(line); }
        catch (InvalidOperationException) { }
    }
}
