using Bunit;
using KafkaMl.Web.Auth;
using KafkaMl.Web.Components.Pages.Deployments;
using KafkaMl.Web.Components.Pages.Models;
using KafkaMl.Web.Components.Pages.Results;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace KafkaMl.Tests.Components;

/// <summary>
/// A viewer reads every page but is offered no write: the pages render their write actions only for the Write policy
/// (the portal's real policy over the signed-in roles), and a form page refuses a viewer outright. An editor sees them.
/// Unrendered actions cannot be invoked: a Blazor Server circuit only dispatches events of elements it rendered.
/// </summary>
public sealed class ViewerSpecs : PortalComponentContext
{
    private static readonly string[] ResultWrites = ["stop-button", "delete-button"];

    [Theory]
    [InlineData(KafkaMlRoles.Viewer, false)]
    [InlineData(KafkaMlRoles.Editor, true)]
    public async Task The_models_list_offers_new_and_the_editor_only_to_writers(string role, bool writes)
    {
        var model = await Training.Database.SeedModelAsync();
        SignInAs(role);

        var page = RenderWithProviders<ModelsPage>();

        page.WaitForAssertion(() => Assert.Contains(model.Name, page.Markup));
        Assert.Equal(writes, page.FindAll("[data-testid=model-new]").Count == 1);
        Assert.Equal(writes, page.FindAll("[data-testid=model-link]").Count == 1);
        Assert.Equal(!writes, page.FindAll("[data-testid=model-name]").Count == 1);
    }

    [Theory]
    [InlineData(KafkaMlRoles.Viewer, false)]
    [InlineData(KafkaMlRoles.Editor, true)]
    public async Task The_deployment_page_offers_the_csv_upload_only_to_writers(string role, bool writes)
    {
        var (deploymentId, _) = await SeedDeploymentAsync(models: 1, TrainingStatus.Deployed);
        SignInAs(role);

        var page = RenderWithProviders<DeploymentDetailPage>(("Id", deploymentId));

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=deployment-send]")));
        Assert.Single(page.FindAll("[data-testid=deployment-send-command]")); // reading how to send stays
        Assert.Equal(writes, page.FindAll("[data-testid=csv-upload]").Count == 1);
    }

    [Theory]
    [InlineData(KafkaMlRoles.Viewer, false)]
    [InlineData(KafkaMlRoles.Editor, true)]
    public async Task A_training_result_offers_stop_and_delete_only_to_writers(string role, bool writes)
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        SignInAs(role);

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=result-model]")));
        Assert.All(ResultWrites, action => Assert.Equal(writes, page.FindAll($"[data-testid={action}]").Count == 1));
    }

    [Theory]
    [InlineData(KafkaMlRoles.Viewer, false)]
    [InlineData(KafkaMlRoles.Editor, true)]
    public async Task A_finished_result_offers_deploying_for_inference_only_to_writers(string role, bool writes)
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Finished);
        SignInAs(role);

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=result-model]")));
        Assert.Equal(writes, page.FindAll("[data-testid=result-deploy-inference]").Count == 1);
        Assert.Equal(writes, page.FindAll("[data-testid=delete-button]").Count == 1);
    }

    [Theory]
    [InlineData(KafkaMlRoles.Viewer, false)]
    [InlineData(KafkaMlRoles.Editor, true)]
    public async Task The_router_opens_the_deployment_form_only_for_writers(string role, bool writes)
    {
        await Training.Database.SeedConfigurationAsync((await Training.Database.SeedModelAsync()).Id);
        SignInAs(role);

        var page = RenderRouted<DeploymentNewPage>();

        if (writes) page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=deployment-configuration]")));
        else page.WaitForAssertion(() => Assert.Contains("Not authorized", page.Markup));
        Assert.Equal(writes, page.FindAll("[data-testid=deployment-batch-size]").Count == 1);
    }

    [Theory]
    [InlineData(KafkaMlRoles.Viewer, false)]
    [InlineData(KafkaMlRoles.Editor, true)]
    public async Task The_forms_service_deploys_only_for_writers(string role, bool writes)
    {
        var configuration = await Training.Database.SeedConfigurationAsync((await Training.Database.SeedModelAsync()).Id);
        SignInAs(role);

        var outcome = await Services.GetRequiredService<PortalForms>().CreateDeploymentAsync(OrchestrationBuilders.ADeploymentRequest(configuration.Id));

        Assert.Equal(writes, outcome.Succeeded);
        Assert.Equal(writes ? null : PortalWriteGuard.Refusal, outcome.Problem);
        await using var db = Training.CreateContext();
        Assert.Equal(writes, await db.Deployments.AnyAsync(d => d.ConfigurationId == configuration.Id));
    }

    /// <summary><typeparamref name="TPage"/> as the router shows it: <see cref="AuthorizeRouteView"/> checks the page's [Authorize] first.</summary>
    private IRenderedComponent<IComponent> RenderRouted<TPage>() where TPage : IComponent =>
        RenderWithProviders<AuthorizeRouteView>(("RouteData", new RouteData(typeof(TPage), new Dictionary<string, object?>())));
}
