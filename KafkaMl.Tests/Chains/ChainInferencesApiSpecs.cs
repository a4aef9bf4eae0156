using KafkaMl.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using static KafkaMl.Tests.Support.InferenceTestData;

namespace KafkaMl.Tests.Chains;

/// <summary>
/// A chain result deployed in one action over HTTP in the real portal (SQLite, Hangfire's start jobs, the embedded
/// broker for the topics) with a <see cref="FakeJobRunner"/> in place of the stages' replica processes.
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class ChainInferencesApiSpecs(OrchestrationPortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    private async Task<int> SeedChainResultAsync()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        var result = await db.TrainingResults.SingleAsync(r => r.Id == resultId);
        result.Chain = ChainReports.AThreeExitReport();
        await db.SaveChangesAsync();
        return resultId;
    }

    private static object AChainRequest(int resultId, object? thresholds = null, object? stages = null)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        return new { resultId, inputTopic = $"chain-in-{id}", outputTopic = $"chain-out-{id}", thresholds, stages };
    }

    private async Task<string> FieldErrorAsync(object request, string field)
    {
        using var response = await http.PostAsJsonAsync("/api/inferences", request, Json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {text}");
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error on '{field}': {text}");
        return messages[0].GetString()!;
    }

    private async Task<ChainStageSpec> StageSpecAsync(int inferenceId)
    {
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        return Assert.IsType<Ok<InferenceJobSpec>>((await InferenceJobsApi.GetSpec(inferenceId, db, CancellationToken.None)).Result).Value!.Chain!;
    }

    private async Task<double?> ThresholdServedAsync(int inferenceId)
    {
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        return Assert.IsType<Ok<InferenceVersionSpec>>((await InferenceJobsApi.GetVersion(inferenceId, null, db, CancellationToken.None)).Result).Value!.Threshold;
    }

    [Fact]
    public async Task A_chain_result_deploys_one_inference_per_stage_wired_by_topics_with_the_suggested_thresholds()
    {
        var resultId = await SeedChainResultAsync();

        var created = await http.CreateAsync(AChainRequest(resultId, stages: new object[] { new { replicas = 2 }, new { replicas = 1 }, new { replicas = 1 } }));

        var chain = created.Chain!;
        Assert.Equal((created.Id, 1), (chain.ChainId, chain.Stage));
        Assert.Equal([0.7, 0.7], chain.Thresholds);
        Assert.Equal([2, 1, 1], chain.Stages.Select(s => s.Replicas));
        Assert.Equal([created.InputTopic, created.InputTopic + "-stage2", created.InputTopic + "-stage3"], chain.Stages.Select(s => s.InputTopic));
        foreach (var stage in chain.Stages) await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(stage.InferenceId), Eventually.Patience);
        var second = await StageSpecAsync(chain.Stages[1].InferenceId);
        Assert.Equal((2, 3, 0.7, created.InputTopic + "-stage3"), (second.Stage, second.Stages, second.Threshold, second.UpperTopic));
        Assert.Equal([3L], second.FirstInputShape);
        var final = await StageSpecAsync(chain.Stages[2].InferenceId);
        Assert.Equal((null, null), (final.Threshold, final.UpperTopic));
        // The list shows each stage as a stage of its chain too (newest first).
        var listed = await http.GetFromJsonAsync<List<InferenceResponse>>($"/api/inferences?resultId={resultId}", Json);
        Assert.Equal([(created.Id, 3, 3), (created.Id, 2, 3), (created.Id, 1, 3)], listed!.Select(i => (i.Chain!.ChainId, i.Chain.Stage, i.Chain.Stages.Count)));
    }

    [Fact]
    public async Task A_chain_of_one_stage_is_refused_with_400_on_stages_as_a_plain_model()
    {
        var resultId = await SeedChainResultAsync();

        var error = await FieldErrorAsync(AChainRequest(resultId, stages: new object[] { new { replicas = 1 } }), "stages");

        Assert.Contains("plain model", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Thresholds_need_one_per_early_exit()
    {
        var resultId = await SeedChainResultAsync();

        var error = await FieldErrorAsync(AChainRequest(resultId, thresholds: new[] { 0.9 }), "thresholds");

        Assert.Contains("2 (1 given)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_result_refuses_thresholds()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);

        await FieldErrorAsync(AChainRequest(resultId, thresholds: new[] { 0.9 }), "thresholds");
    }

    [Fact]
    public async Task New_thresholds_reach_the_running_stages_through_their_version_poll()
    {
        var created = await http.CreateAsync(AChainRequest(await SeedChainResultAsync(), thresholds: new[] { 0.9, 0.8 }));
        var stages = created.Chain!.Stages;

        using var response = await http.PostAsJsonAsync($"/api/inferences/{stages[2].InferenceId}/thresholds", new { thresholds = new[] { 0.5, 1.05 } }, Json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([0.5, 1.05], (await response.Content.ReadFromJsonAsync<InferenceResponse>(Json))!.Chain!.Thresholds);
        Assert.Equal((0.5, 1.05, (double?)null), (await ThresholdServedAsync(stages[0].InferenceId), await ThresholdServedAsync(stages[1].InferenceId), await ThresholdServedAsync(stages[2].InferenceId)));
    }

    [Fact]
    public async Task Deleting_any_stage_stops_and_deletes_the_whole_chain()
    {
        var created = await http.CreateAsync(AChainRequest(await SeedChainResultAsync()));
        var stages = created.Chain!.Stages;
        foreach (var stage in stages) await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(stage.InferenceId), Eventually.Patience);

        using var deleted = await http.DeleteAsync($"/api/inferences/{stages[1].InferenceId}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        foreach (var stage in stages)
        {
            Assert.Contains(JobSpec.InferenceName(stage.InferenceId), portal.Runner.Stopped);
            using var gone = await http.GetAsync($"/api/inferences/{stage.InferenceId}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
    }
}
