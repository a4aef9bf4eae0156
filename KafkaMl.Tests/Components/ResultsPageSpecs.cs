using Bunit;
using KafkaMl.Web.Components.Pages.Results;
using MudBlazor;

namespace KafkaMl.Tests.Components;

public sealed class ResultsPageSpecs : PortalComponentContext
{
    [Fact]
    public async Task A_status_change_reaches_the_list_without_a_reload()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Deployed);
        var page = RenderWithProviders<ResultsPage>();
        page.WaitForAssertion(() => Assert.Equal("deployed", page.Text($"result-status-{resultId}")));
        var table = page.FindComponent<MudTable<Web.Services.ResultSummary>>().Instance;

        await ReportStatusAsync(resultId, "training", withData: true);

        page.WaitForAssertion(() => Assert.Equal("training", page.Text($"result-status-{resultId}")));
        Assert.Same(table, page.FindComponent<MudTable<Web.Services.ResultSummary>>().Instance);
    }

    [Fact]
    public async Task Each_row_links_to_its_result_and_its_deployment_and_shows_its_metrics()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Deployed);
        await ReportStatusAsync(resultId, "training", withData: true);
        await using (var db = Training.CreateContext())
            await Web.Apis.TrainingJobsApi.UploadResult(resultId, OrchestrationBuilders.AResultForm(), db, Training.Orchestrator, Training.Notifier, Ct);
        var deploymentId = (await Training.ReadResultAsync(resultId)).DeploymentId;

        var page = RenderWithProviders<ResultsPage>();

        page.WaitForAssertion(() => Assert.Equal($"results/{resultId}", page.Find("[data-testid=result-link]").GetAttribute("href")));
        var row = page.Find("[data-testid=result-link]").Closest("tr")!;
        Assert.Contains(row.QuerySelectorAll("a"), a => a.GetAttribute("href") == $"deployments/{deploymentId}");
        Assert.Contains("loss 0.41", row.TextContent);
        Assert.Contains("accuracy 0.83", row.TextContent);
        Assert.Contains("12.5 s", row.TextContent);
    }

    [Fact]
    public async Task Filtering_by_status_shows_only_the_results_in_it()
    {
        var training = await Training.SeedResultAsync(TrainingStatus.Training);
        var finished = await Training.SeedResultAsync(TrainingStatus.Finished);
        var page = RenderWithProviders<ResultsPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=result-link]").Count));
        var filter = page.FindComponent<MudSelect<string>>();

        await page.InvokeAsync(() => filter.Instance.ValueChanged.InvokeAsync("finished"));

        page.WaitForAssertion(() => Assert.Equal([$"results/{finished}"], page.FindAll("[data-testid=result-link]").Select(a => a.GetAttribute("href"))));
        Assert.Empty(page.FindAll($"[data-testid=result-status-{training}]"));
    }

    [Fact]
    public async Task Filtering_by_deployment_shows_only_its_results()
    {
        var (first, firstResults) = await SeedDeploymentAsync(models: 1);
        var (_, otherResults) = await SeedDeploymentAsync(models: 1);
        var page = RenderWithProviders<ResultsPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=result-link]").Count));

        page.Fill("deployment-filter", first.ToString());

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=result-link]")));
        Assert.NotNull(page.Find($"[data-testid=result-status-{firstResults[0]}]"));
        Assert.Empty(page.FindAll($"[data-testid=result-status-{otherResults[0]}]"));
    }
}
