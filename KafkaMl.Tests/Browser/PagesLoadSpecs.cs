using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace KafkaMl.Tests.Browser;

/// <summary>Every page of the portal opens in Chromium, connects its circuit and shows no Blazor error.</summary>
[Collection(BrowserCollection.Name)]
public sealed class PagesLoadSpecs(BrowserPortalFixture fixture, ITestOutputHelper output)
{
    public static TheoryData<string, string, string> Pages => new()
    {
        // path, screenshot name, a heading the page shows once rendered
        { "/", "page-home", "Overview" },
        { "/models", "page-models", "Models" },
        { "/configurations", "page-configurations", "Configurations" },
        { "/deployments", "page-deployments", "Deployments" },
        { "/results", "page-results", "Training results" },
        { "/inferences", "page-inferences", "Inference" },
        { "/datasources", "page-datasources", "Datasources" },
        { "/status", "page-status", "Status" },
        { "/dashboards", "page-dashboards", "Prediction dashboards" },
        { "/federation", "page-federation", "Federation" },
    };

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Page_opens_with_a_live_circuit_and_no_error(string path, string screenshot, string heading)
    {
        await using var page = await fixture.NewPageAsync(output);

        await page.StepAsync(screenshot, async () =>
        {
            await page.OpenAsync(path);
            var main = page.Page.Locator(".mud-main-content");
            await Expect(main.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true })).ToBeVisibleAsync();
            await Expect(main.Locator(".mud-alert-text-error")).ToHaveCountAsync(0);
        });

        Assert.Empty(page.PageErrors);
    }
}
