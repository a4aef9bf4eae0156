using KafkaMl.Core.Jobs.Training;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Orchestration;

/// <summary>
/// A semi-supervised training job reporting its self-training rounds through its own portal client (token, route,
/// order) to the real portal, and a user reading them back through GET /api/results/{id}.
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class SelfTrainingPortalSpecs(OrchestrationPortalFactory portal) : IDisposable
{
    private readonly HttpClient http = portal.CreateClient();

    public void Dispose() => http.Dispose();

    private async Task<(int ResultId, string Token)> DeployAndWaitForJobAsync()
    {
        var configurationId = await portal.Services.SeedConfigurationOfNewModelsAsync(1);
        var response = await http.PostAsJsonAsync("/api/deployments", ADeploymentRequest(configurationId) with { SemiSupervised = true });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var resultId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results")[0].GetProperty("id").GetInt32();
        var spec = await portal.Runner.WaitForStartAsync(JobSpec.TrainingName(resultId), Eventually.Patience);
        return (resultId, spec.Environment[JobEnvironment.TokenVariable]);
    }

    private static SelfTrainingRoundReport ARound(int round, int added, double accuracy) => new(
        round,
        added,
        round == 0 ? new Dictionary<string, int>() : new Dictionary<string, int> { ["0"] = added },
        0.9,
        new Dictionary<string, double> { ["accuracy"] = accuracy },
        PoolLeft: 500 - added);

    [Fact]
    public async Task The_jobs_client_posts_its_rounds_in_order_and_the_result_shows_them()
    {
        var (resultId, token) = await DeployAndWaitForJobAsync();
        await using (var client = new PortalClient(portal.Server.BaseAddress, resultId, token, handler: portal.Server.CreateHandler()))
        {
            ISelfTrainingReporter reporter = client;
            // Queued without waiting, as a training loop does: they still arrive in the order they were made.
            var sent = new[] { ARound(0, 0, 0.8), ARound(1, 300, 0.86), ARound(2, 120, 0.9), ARound(2, 100, 0.89) }
                .Select(round => reporter.ReportSelfTrainingRoundAsync(round, CancellationToken.None)).ToList();
            await Task.WhenAll(sent);
        }

        var result = await http.GetFromJsonAsync<JsonElement>($"/api/results/{resultId}");
        var rounds = result.GetProperty("selfTraining").EnumerateArray().ToList();
        Assert.Equal([(0, 0), (1, 300), (2, 100)], rounds.Select(r => (r.GetProperty("round").GetInt32(), r.GetProperty("added").GetInt32())));
        Assert.Equal(0.89, rounds[2].GetProperty("testMetrics").GetProperty("accuracy").GetDouble());
        Assert.Equal(300, rounds[1].GetProperty("classCounts").GetProperty("0").GetInt32());
        Assert.Equal("training", result.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_stopped_results_round_fails_with_the_closed_exception_so_the_job_stops()
    {
        var (resultId, token) = await DeployAndWaitForJobAsync();
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/api/results/{resultId}/stop", null)).StatusCode);
        await using var client = new PortalClient(portal.Server.BaseAddress, resultId, token, handler: portal.Server.CreateHandler());

        await Assert.ThrowsAsync<TrainingResultClosedException>(() => client.ReportSelfTrainingRoundAsync(ARound(0, 0, 0.8), CancellationToken.None));

        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>($"/api/results/{resultId}")).GetProperty("selfTraining").GetArrayLength());
    }

    [Fact]
    public async Task Another_results_token_cannot_report_a_round()
    {
        var (resultId, _) = await DeployAndWaitForJobAsync();
        var (_, otherToken) = await DeployAndWaitForJobAsync();
        await using var client = new PortalClient(portal.Server.BaseAddress, resultId, otherToken, handler: portal.Server.CreateHandler());

        var refused = await Assert.ThrowsAsync<TrainingReportException>(() => client.ReportSelfTrainingRoundAsync(ARound(0, 0, 0.8), CancellationToken.None));

        Assert.Equal(403, refused.StatusCode);
    }
}
