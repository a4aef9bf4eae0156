using static KafkaMl.Tests.Support.InferenceTestData;
using KafkaMl.Web.Services.Dashboards;

namespace KafkaMl.Tests.Dashboards;

/// <summary>An inference's own dashboard over HTTP: made with the inference, kept when the inference goes.</summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class InferenceDashboardSpecs(OrchestrationPortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    private async Task<int> AThreeClassResultAsync()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        await db.TrainingResults.Where(r => r.Id == resultId)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.ConfusionMatrix, new[] { new[] { 3, 0, 0 }, new[] { 0, 2, 1 }, new[] { 0, 0, 4 } }));
        return resultId;
    }

    private async Task<DashboardResponse?> DashboardOfAsync(int inferenceId) =>
        (await http.GetFromJsonAsync<List<DashboardResponse>>("/api/dashboards", Json))!.SingleOrDefault(d => d.InferenceId == inferenceId);

    [Fact]
    public async Task Creating_an_inference_lists_its_dashboard_on_its_output_topic_with_the_classes_it_was_tested_on()
    {
        var created = await http.CreateAsync(ARequest(await AThreeClassResultAsync()));

        var dashboard = await DashboardOfAsync(created.Id);

        Assert.NotNull(dashboard);
        Assert.Equal((created.OutputTopic, "classification"), (dashboard.Topic, dashboard.Type));
        Assert.Equal(["0", "1", "2"], dashboard.Labels.Select(l => l.Label));
        Assert.Equal(KafkaMl.Core.Dashboards.DashboardPalette.Colors.Take(3), dashboard.Labels.Select(l => l.Color));
    }

    [Fact]
    public async Task Deleting_the_inference_keeps_its_dashboard_no_longer_tied_to_it()
    {
        var created = await http.CreateAsync(ARequest(await AThreeClassResultAsync()));
        var dashboard = (await DashboardOfAsync(created.Id))!;
        await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(created.Id), Eventually.Patience);

        using var deleted = await http.DeleteAsync($"/api/inferences/{created.Id}");
        var kept = await http.GetFromJsonAsync<DashboardResponse>($"/api/dashboards/{dashboard.Id}", Json);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal((created.OutputTopic, (int?)null), (kept!.Topic, kept.InferenceId));
    }
}
