using Bunit;
using KafkaMl.Web.Components.Pages.Inference;

namespace KafkaMl.Tests.Components;

/// <summary>The inference list (<c>/inferences</c>) over a real SQLite database: a chain's services are marked as its stages.</summary>
public sealed class InferencesPageSpecs : PortalComponentContext
{
    protected override void AddServices(BunitServiceProvider services)
    {
        AddInferenceServices(services);
    }

    [Fact]
    public async Task Each_stage_of_a_chain_is_marked_with_its_stage_and_a_plain_service_is_not()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Finished);
        int plain, first, second;
        await using (var db = Training.CreateContext())
        {
            var service = AnInference(resultId, "plain-in", stage: null);
            var edge = AnInference(resultId, "chain-in", stage: 1);
            db.Inferences.AddRange(service, edge);
            await db.SaveChangesAsync();
            edge.ChainId = edge.Id;
            var cloud = AnInference(resultId, "chain-in-stage2", stage: 2);
            cloud.ChainId = edge.Id;
            db.Inferences.Add(cloud);
            await db.SaveChangesAsync();
            (plain, first, second) = (service.Id, edge.Id, cloud.Id);
        }

        var page = RenderWithProviders<InferencesPage>();

        page.WaitForElement("[data-testid=inferences-table]");
        Assert.Equal("stage 1 of 2", page.Find($"[data-testid=inference-stage-{first}]").TextContent.Trim());
        Assert.Equal("stage 2 of 2", page.Find($"[data-testid=inference-stage-{second}]").TextContent.Trim());
        Assert.Empty(page.FindAll($"[data-testid=inference-stage-{plain}]"));
    }

    private static KafkaMl.Core.Domain.Inference AnInference(int resultId, string inputTopic, int? stage) => new()
    {
        ResultId = resultId,
        Replicas = 1,
        InputFormat = "RAW",
        InputConfig = "{}",
        InputTopic = inputTopic,
        OutputTopic = "chain-out",
        Stage = stage,
        Status = InferenceStatus.Running,
        StatusChanged = DateTimeOffset.UtcNow,
    };
}
