using Bunit;
using KafkaMl.Web.Components.Pages.Deployments;
using KafkaMl.Web.Components.Pages.Results;

namespace KafkaMl.Tests.Components;

public sealed class CompareViewSpecs : PortalComponentContext
{
    [Fact]
    public async Task The_deployment_page_overlays_one_validation_line_per_result()
    {
        var (deploymentId, results) = await SeedDeploymentAsync(models: 2);
        await ReportEpochAsync(results[0], 1);
        await ReportEpochAsync(results[0], 2);
        await ReportEpochAsync(results[1], 1);

        var page = RenderWithProviders<DeploymentDetailPage>(("Id", deploymentId));

        page.WaitForAssertion(() => Assert.Equal("2", page.Chart("Validation loss").GetAttribute("data-series")));
        Assert.Equal("3", page.Chart("Validation loss").GetAttribute("data-points"));
        Assert.Equal("2", page.Chart("Validation accuracy").GetAttribute("data-series"));
        var lines = page.ChartComponent("Validation loss").Instance.Series;
        Assert.Equal([2, 1], lines.Select(l => l.Epochs.Count));
        Assert.All(lines, line => Assert.Matches(@"^#\d+ model-\d+$", line.Name));
    }

    [Fact]
    public async Task An_epoch_of_one_result_extends_only_its_line()
    {
        var (deploymentId, results) = await SeedDeploymentAsync(models: 2);
        await ReportEpochAsync(results[0], 1);
        await ReportEpochAsync(results[1], 1);
        var page = RenderWithProviders<DeploymentDetailPage>(("Id", deploymentId));
        page.WaitForAssertion(() => Assert.Equal("2", page.Chart("Validation loss").GetAttribute("data-points")));
        var chart = page.ChartComponent("Validation loss").Instance;

        await ReportEpochAsync(results[1], 2, loss: 0.2);

        page.WaitForAssertion(() => Assert.Equal("3", page.Chart("Validation loss").GetAttribute("data-points")));
        Assert.Same(chart, page.ChartComponent("Validation loss").Instance);
        Assert.Equal([1, 2], chart.Series[1].Epochs);
        Assert.Equal([1], chart.Series[0].Epochs);
    }

    [Fact]
    public async Task The_deployment_page_lists_its_results_with_live_status_chips_and_links()
    {
        var (deploymentId, results) = await SeedDeploymentAsync(models: 2, TrainingStatus.Deployed);
        var page = RenderWithProviders<DeploymentDetailPage>(("Id", deploymentId));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("[data-testid=compare-model]").Count));
        Assert.Equal([$"results/{results[0]}", $"results/{results[1]}"], page.FindAll("[data-testid=compare-model]").Select(a => a.GetAttribute("href")));
        Assert.Equal("deployed", page.Text($"compare-status-{results[1]}"));

        await ReportStatusAsync(results[1], "training", withData: true);

        page.WaitForAssertion(() => Assert.Equal("training", page.Text($"compare-status-{results[1]}")));
        Assert.Equal("deployed", page.Text($"compare-status-{results[0]}"));
    }

    [Fact]
    public async Task The_compare_page_takes_the_results_from_the_query()
    {
        var (_, results) = await SeedDeploymentAsync(models: 3);
        foreach (var id in results) await ReportEpochAsync(id, 1);
        Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>()
            .NavigateTo($"results/compare?ids={results[0]},{results[2]}");

        var page = RenderWithProviders<ComparePage>();

        page.WaitForAssertion(() => Assert.Equal("2", page.Chart("Validation loss").GetAttribute("data-series")));
    }

    [Fact]
    public void The_compare_page_explains_ids_it_cannot_read()
    {
        Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>().NavigateTo("results/compare?ids=3,x");

        var page = RenderWithProviders<ComparePage>();

        Assert.Equal("'3,x' is not a list of result ids (e.g. ?ids=3,4).", page.Text("compare-ids-problem"));
    }

    [Fact]
    public void A_deployment_that_does_not_exist_gets_a_readable_message()
    {
        var page = RenderWithProviders<DeploymentDetailPage>(("Id", 999));

        page.WaitForAssertion(() => Assert.Equal("Deployment 999 does not exist.", page.Text("deployment-missing")));
    }
}
