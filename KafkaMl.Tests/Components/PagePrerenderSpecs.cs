namespace KafkaMl.Tests.Components;

/// <summary>The results pages through the whole portal over HTTP: their first, prerendered response.</summary>
[Collection(PortalCollection.Name)]
public sealed class PagePrerenderSpecs(PortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    [Fact]
    public async Task The_result_page_prerenders_with_the_model_name_and_its_final_metrics()
    {
        var (model, _, resultId) = await SeedFinishedResultAsync();

        var html = await PrerenderedAsync($"/results/{resultId}");

        Assert.Contains(model, html);
        Assert.Contains("data-testid=\"final-metrics\"", html);
    }

    [Fact]
    public async Task The_deployment_page_prerenders_with_its_results_model_names()
    {
        var (model, deploymentId, _) = await SeedFinishedResultAsync();

        var html = await PrerenderedAsync($"/deployments/{deploymentId}");

        Assert.Contains(model, html);
        Assert.Contains("data-testid=\"compare-table\"", html);
    }

    [Fact]
    public async Task The_results_list_and_compare_pages_prerender()
    {
        var (model, _, resultId) = await SeedFinishedResultAsync();

        var list = await http.GetStringAsync("/results");
        var compare = await PrerenderedAsync($"/results/compare?ids={resultId}");

        Assert.Contains(model, list);
        Assert.Contains(model, compare);
    }

    /// <summary>The page's first response, which must be 200.</summary>
    private async Task<string> PrerenderedAsync(string path)
    {
        using var response = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A finished result (final states are left alone by the portal's reconcile job); its model's name and ids.</summary>
    private async Task<(string Model, int DeploymentId, int ResultId)> SeedFinishedResultAsync()
    {
        var contexts = portal.Services.GetRequiredService<IDbContextFactory<KafkaMlDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        var model = Builders.AModel();
        db.Models.Add(model);
        var configuration = new Configuration { Name = Builders.UniqueName("configuration"), Models = [model] };
        db.Configurations.Add(configuration);
        await db.SaveChangesAsync();
        var deployment = Builders.ADeployment(configuration.Id, model.Id);
        var result = deployment.Results.Single();
        result.Status = TrainingStatus.Finished;
        result.TrainMetrics = new() { ["loss"] = 0.35, ["accuracy"] = 0.86 };
        result.ValMetrics = new() { ["loss"] = 0.38, ["accuracy"] = 0.84 };
        result.TestMetrics = new() { ["loss"] = 0.41, ["accuracy"] = 0.83 };
        result.TrainingSeconds = 12.5;
        result.Epochs = [new EpochMetric { Epoch = 1, TrainMetrics = new() { ["loss"] = 0.5 }, ValMetrics = new() { ["loss"] = 0.6 }, RecordedAt = DateTimeOffset.UtcNow }];
        db.Deployments.Add(deployment);
        await db.SaveChangesAsync();
        return (model.Name, deployment.Id, result.Id);
    }
}
