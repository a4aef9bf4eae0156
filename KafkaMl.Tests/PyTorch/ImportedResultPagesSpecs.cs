using Bunit;
using Microsoft.AspNetCore.Components;
using KafkaMl.Tests.Components;
using KafkaMl.Web.Components.Pages.Results;

namespace KafkaMl.Tests.PyTorch;

/// <summary>The result pages tell an imported result from a trained one.</summary>
public sealed class ImportedResultPagesSpecs : PortalComponentContext
{
    [Fact]
    public async Task The_results_page_marks_imported_results_only()
    {
        var (_, imported) = await PyTorchFixtures.ImportFixtureAsync(Training);
        var trained = await Training.SeedResultAsync(TrainingStatus.Finished);

        var page = RenderWithProviders<ResultsPage>();

        page.WaitForAssertion(() => Assert.Equal("imported", page.Text($"result-imported-{imported}")));
        Assert.Empty(page.FindAll($"[data-testid=result-imported-{trained}]"));
    }

    [Fact]
    public async Task The_result_page_says_which_file_the_weights_came_from()
    {
        var (_, imported) = await PyTorchFixtures.ImportFixtureAsync(Training);

        var page = RenderWithProviders<ResultDetailPage>(("Id", imported));

        page.WaitForAssertion(() => Assert.Contains("Weights imported from mlp.safetensors (safetensors)", page.Text("result-weights-origin")));
        Assert.Equal("imported", page.Text("result-imported"));
    }

    [Fact]
    public async Task A_trained_result_says_it_was_trained_here()
    {
        var trained = await Training.SeedResultAsync(TrainingStatus.Finished);

        var page = RenderWithProviders<ResultDetailPage>(("Id", trained));

        page.WaitForAssertion(() => Assert.Contains("Trained here from the script's own initialisation", page.Text("result-weights-origin")));
        Assert.Empty(page.FindAll("[data-testid=result-imported]"));
    }
}

/// <summary>Fine-tuning from the pages: the result page's link pre-fills the deploy form, the deployment page names the weights.</summary>
public sealed class FineTuningPagesSpecs : PortalComponentContext
{
    [Fact]
    public async Task The_deploy_form_opened_from_a_result_deploys_from_its_weights()
    {
        var (_, imported) = await PyTorchFixtures.ImportFixtureAsync(Training);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"deployments/new?initialWeightsResultId={imported}");
        var page = RenderWithProviders<KafkaMl.Web.Components.Pages.Deployments.DeploymentNewPage>();
        page.WaitForAssertion(() => Assert.Equal(imported.ToString(System.Globalization.CultureInfo.InvariantCulture), page.Input("deployment-initial-weights").GetAttribute("value")));

        page.Click("deployment-submit");

        await using var db = Training.CreateContext();
        page.WaitForAssertion(() => Assert.Equal(imported, db.Deployments.AsNoTracking().OrderBy(d => d.Id).Last().InitialWeightsResultId));
    }

    [Fact]
    public async Task The_deployment_page_names_the_result_it_starts_from()
    {
        var (_, imported) = await PyTorchFixtures.ImportFixtureAsync(Training);
        var configurationId = await ConfigurationOfAsync(imported);
        await using (var db = Training.CreateContext())
        {
            var deployments = new DeploymentService(new KafkaMl.Tests.Apis.ContextsLike(db), Training.Orchestrator, Training.Notifier);
            await deployments.CreateAsync(OrchestrationBuilders.ADeploymentRequest(configurationId) with { InitialWeightsResultId = imported });
        }
        await using var read = Training.CreateContext();
        var deploymentId = read.Deployments.AsNoTracking().Single(d => d.InitialWeightsResultId == imported).Id;

        var page = RenderWithProviders<KafkaMl.Web.Components.Pages.Deployments.DeploymentDetailPage>(("Id", deploymentId));

        page.WaitForAssertion(() => Assert.Contains($"result #{imported}", page.Text("deployment-initial-weights")));
    }

    private async Task<int> ConfigurationOfAsync(int resultId)
    {
        await using var db = Training.CreateContext();
        return db.TrainingResults.AsNoTracking().Where(r => r.Id == resultId).Select(r => r.Deployment!.ConfigurationId).Single();
    }
}
