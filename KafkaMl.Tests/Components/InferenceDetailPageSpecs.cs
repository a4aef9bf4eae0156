using Bunit;
using KafkaMl.Web.Components.Pages.Inference;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Components;

/// <summary>
/// The inference page's model versions (<c>/inferences/{id}</c>) with the real <see cref="InferenceService"/> over SQLite:
/// the wanted version, the one each replica serves and the one it refused, and pin / follow latest.
/// </summary>
public sealed class InferenceDetailPageSpecs : PortalComponentContext
{
    protected override void AddServices(BunitServiceProvider services)
    {
        AddInferenceServices(services);
    }

    [Fact]
    public async Task The_page_shows_the_wanted_version_what_each_replica_serves_or_refused_and_pins_or_follows_by_hand()
    {
        var inferenceId = await SeedRunningInferenceAsync(versions: 2);
        var monitor = Services.GetRequiredService<InferenceMonitor>();
        await monitor.RecordAsync(inferenceId, InferenceTestData.AStatsReport("0") with { ModelVersion = 1, RefusedVersion = 2, LoadError = "The weights do not fit this model" });

        Services.GetRequiredService<NavigationManager>().NavigateTo($"inferences/{inferenceId}");
        var page = RenderWithProviders<InferenceDetailPage>(("Id", inferenceId));

        page.WaitForAssertion(() => Assert.Contains("follows the latest", page.Text("inference-version")));
        Assert.Equal(("2", "1"), (page.Text("inference-wanted-version"), page.Text("inference-served-version")));
        Assert.StartsWith("1", page.Text("inference-replica-version"));
        Assert.Equal("refused version 2: The weights do not fit this model", page.Text("inference-replica-refused"));

        page.Click("inference-pin"); // the version offered first is the wanted one
        page.WaitForAssertion(() => Assert.Contains("pinned to 2", page.Text("inference-version")));
        Assert.Equal(2, await PinnedVersionAsync(inferenceId));
        page.Click("inference-follow-latest");
        page.WaitForAssertion(() => Assert.Contains("follows the latest", page.Text("inference-version")));
        Assert.Null(await PinnedVersionAsync(inferenceId));
    }

    private async Task<int> SeedRunningInferenceAsync(int versions)
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        await using var db = Training.CreateContext();
        for (var v = 1; v <= versions; v++)
            db.ModelVersions.Add(new ModelVersion { ResultId = resultId, Version = v, PublishedAt = DateTimeOffset.UtcNow, WeightsPath = $"results/{resultId}/versions/{v}/model.dat" });
        var inference = new KafkaMl.Core.Domain.Inference
        {
            ResultId = resultId, InputFormat = "RAW", InputTopic = "in-page", OutputTopic = "out-page", Status = InferenceStatus.Running,
            StatusChanged = DateTimeOffset.UtcNow, InputPartitions = 1,
        };
        db.Inferences.Add(inference);
        await db.SaveChangesAsync();
        return inference.Id;
    }

    private async Task<int?> PinnedVersionAsync(int inferenceId)
    {
        await using var db = Training.CreateContext();
        return await db.Inferences.Where(i => i.Id == inferenceId).Select(i => i.PinnedVersion).SingleAsync();
    }
}
