using Bunit;
using KafkaMl.Web.Components.Pages.Inference;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Components;

/// <summary>
/// A chain stage's inference page with the real <see cref="InferenceService"/> over SQLite: every stage's messages in,
/// answered here, forwarded and latency, and thresholds changed on the running chain.
/// </summary>
public sealed class ChainStagesPanelSpecs : PortalComponentContext
{
    protected override void AddServices(BunitServiceProvider services)
    {
        AddInferenceServices(services);
    }

    [Fact]
    public async Task The_page_of_a_stage_shows_every_stages_counts_and_applies_new_thresholds_to_the_chain()
    {
        var stages = await SeedRunningChainAsync();
        var monitor = Services.GetRequiredService<InferenceMonitor>();
        await monitor.RecordAsync(stages[0], InferenceTestData.AStatsReport("0") with { Stage = 1, Answered = 60, Forwarded = 40 });
        await monitor.RecordAsync(stages[1], InferenceTestData.AStatsReport("0") with { Stage = 2, Answered = 30, Forwarded = 10 });
        await monitor.RecordAsync(stages[2], InferenceTestData.AStatsReport("0") with { Stage = 3, Answered = 10, Forwarded = 0 });

        Services.GetRequiredService<NavigationManager>().NavigateTo($"inferences/{stages[1]}");
        var page = RenderWithProviders<InferenceDetailPage>(("Id", stages[1]));

        page.WaitForAssertion(() => Assert.Equal("3", page.Find("[data-testid=chain-stages]").GetAttribute("data-stages")));
        var second = page.FindAll("[data-testid=chain-stage-table] tr[data-stage='2'] td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["0.8", "30", "10"], [second[3], second[6], second[7]]);
        Assert.Equal("answers all", page.FindAll("[data-testid=chain-stage-table] tr[data-stage='3'] td")[3].TextContent.Trim());

        var fields = page.FindComponents<MudBlazor.MudNumericField<double>>();
        fields[0].Find("input").Change("0.5");
        fields[1].Find("input").Change("1.05");
        page.Click("chain-thresholds-apply");

        page.WaitForAssertion(() => Assert.Equal("0.5", page.FindAll("[data-testid=chain-stage-table] tr[data-stage='1'] td")[3].TextContent.Trim()));
        await using var db = Training.CreateContext();
        Assert.Equal([0.5, 1.05, null], await db.Inferences.Where(i => stages.Contains(i.Id)).OrderBy(i => i.Stage).Select(i => i.Threshold).ToListAsync());
    }

    private async Task<IReadOnlyList<int>> SeedRunningChainAsync()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Finished);
        await using var db = Training.CreateContext();
        var members = Enumerable.Range(1, 3).Select(k => new KafkaMl.Core.Domain.Inference
        {
            ResultId = resultId, InputFormat = "RAW", InputTopic = k == 1 ? "chain-page" : $"chain-page-stage{k}", OutputTopic = "chain-page-out",
            Status = InferenceStatus.Running, StatusChanged = DateTimeOffset.UtcNow, InputPartitions = 1, Stage = k, Threshold = k < 3 ? 0.8 : null,
        }).ToList();
        db.Inferences.Add(members[0]);
        await db.SaveChangesAsync();
        foreach (var member in members) member.ChainId = members[0].Id;
        db.Inferences.AddRange(members.Skip(1));
        await db.SaveChangesAsync();
        return [.. members.Select(m => m.Id)];
    }
}
