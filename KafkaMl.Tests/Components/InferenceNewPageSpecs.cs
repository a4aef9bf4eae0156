using System.Text.RegularExpressions;
using Bunit;
using KafkaMl.Web.Components.Pages.Inference;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Components;

/// <summary>
/// The deploy form (<c>/inferences/new?resultId=</c>) with the real <see cref="InferenceService"/> over a real SQLite
/// database and an embedded broker (a chain stage may name its own Kafka): pre-filled from the result, messages beside
/// the fields, and nothing created while a field is wrong.
/// </summary>
[Collection(EmbeddedBrokerCollection.Name)]
public sealed class InferenceNewPageSpecs(BrokerFixture broker)
    : PortalComponentContext(new KafkaEndpoint(broker.Broker.BootstrapServers, true, $"control-{Guid.NewGuid():N}"))
{
    protected override void AddServices(BunitServiceProvider services)
    {
        AddInferenceServices(services);
    }

    private async Task<int> SeedFinishedResultAsync()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Finished);
        await using var db = Training.CreateContext();
        var result = await db.TrainingResults.SingleAsync(r => r.Id == resultId);
        result.InputFormat = "RAW";
        result.InputConfig = """{"data_type":"float32","data_reshape":"3"}""";
        result.Scaler = """{"mean":[0,0,0],"std":[1,1,1]}""";
        result.WeightsPath = $"results/{resultId}/model.dat";
        await db.SaveChangesAsync();
        return resultId;
    }

    private IRenderedComponent<IComponent> RenderForm(int resultId)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo($"inferences/new?resultId={resultId}");
        return RenderWithProviders<InferenceNewPage>();
    }

    private static void Type(IRenderedComponent<IComponent> page, string testId, string value) =>
        page.Find($"[data-testid={testId}] input, [data-testid={testId}] textarea").Change(value);

    private async Task<int> InferenceCountAsync()
    {
        await using var db = Training.CreateContext();
        return await db.Inferences.CountAsync();
    }

    [Fact]
    public async Task The_form_is_pre_filled_from_the_stream_the_result_trained_on()
    {
        var resultId = await SeedFinishedResultAsync();

        var page = RenderForm(resultId);

        page.WaitForAssertion(() => Assert.Contains("data_reshape", page.Find("[data-testid=inference-input-config] textarea").GetAttribute("value") ?? page.Find("[data-testid=inference-input-config] textarea").TextContent));
        Assert.StartsWith($"inference-{resultId}-in-", page.Find("[data-testid=inference-input-topic] input").GetAttribute("value"));
    }

    [Fact]
    public async Task A_bad_topic_name_shows_its_message_beside_the_field_and_nothing_is_created()
    {
        var resultId = await SeedFinishedResultAsync();
        var page = RenderForm(resultId);
        page.WaitForElement("[data-testid=inference-submit]");

        Type(page, "inference-input-topic", "has space");
        page.Find("[data-testid=inference-submit]").Click();

        page.WaitForAssertion(() => Assert.Contains("characters Kafka rejects", page.Find("[data-testid=inference-input-topic]").TextContent));
        var form = page.FindComponent<InferenceNewPage>().Instance;
        Assert.Equal(0, form.Submitted);
        Assert.Equal(0, await InferenceCountAsync());
    }

    [Fact]
    public async Task An_input_config_that_does_not_fit_the_model_is_shown_on_the_config_field_and_nothing_is_created()
    {
        var resultId = await SeedFinishedResultAsync();
        var page = RenderForm(resultId);
        page.WaitForElement("[data-testid=inference-submit]");

        Type(page, "inference-input-config", """{"data_type": "float32", "data_reshape": "4"}""");
        page.Find("[data-testid=inference-submit]").Click();

        page.WaitForAssertion(() => Assert.Contains("4 values", page.Find("[data-testid=inference-input-config]").TextContent));
        Assert.Equal(0, page.FindComponent<InferenceNewPage>().Instance.Submitted);
        Assert.Equal(0, await InferenceCountAsync());
    }

    [Fact]
    public async Task A_valid_form_creates_the_inference_and_opens_its_page()
    {
        var resultId = await SeedFinishedResultAsync();
        var page = RenderForm(resultId);
        page.WaitForElement("[data-testid=inference-submit]");

        Type(page, "inference-replicas", "2");
        page.Find("[data-testid=inference-submit]").Click();

        page.WaitForAssertion(() => Assert.Matches(@"/inferences/\d+$", Services.GetRequiredService<NavigationManager>().Uri));
        await using var db = Training.CreateContext();
        var inference = await db.Inferences.SingleAsync();
        Assert.Equal((resultId, 2, "RAW"), (inference.ResultId, inference.Replicas, inference.InputFormat));
    }

    private async Task<int> SeedChainResultAsync()
    {
        var resultId = await SeedFinishedResultAsync();
        await using var db = Training.CreateContext();
        var result = await db.TrainingResults.SingleAsync(r => r.Id == resultId);
        result.Chain = KafkaMl.Tests.Chains.ChainReports.AThreeExitReport();
        await db.SaveChangesAsync();
        return resultId;
    }

    [Fact]
    public async Task A_chain_deploys_each_stage_with_the_replicas_kafka_and_thresholds_set_on_the_form()
    {
        var resultId = await SeedChainResultAsync();
        var page = RenderForm(resultId);
        page.WaitForElement("[data-testid=inference-stage-3]");

        // The exits' thresholds start at the trade-off's suggestion; the final stage has none, and no chain-wide replicas field.
        Assert.Equal("0.7", page.Find("[data-testid=inference-stage-1-threshold] input").GetAttribute("value"));
        Assert.Empty(page.FindAll("[data-testid=inference-stage-3-threshold]"));
        Assert.Empty(page.FindAll("[data-testid=inference-replicas]"));
        Type(page, "inference-stage-1-threshold", "0.9");
        Type(page, "inference-stage-2-threshold", "0.8");
        Type(page, "inference-stage-3-replicas", "2");
        Type(page, "inference-stage-2-servers", broker.BootstrapServers);
        page.Find("[data-testid=inference-submit]").Click();

        var form = page.FindComponent<InferenceNewPage>().Instance;
        page.WaitForAssertion(() => Assert.True(Regex.IsMatch(Services.GetRequiredService<NavigationManager>().Uri, @"/inferences/\d+$"),
            $"not deployed: {string.Join("; ", form.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"))} {page.FindAll(".mud-snackbar").Select(e => e.TextContent).FirstOrDefault()}"));
        await using var db = Training.CreateContext();
        var deployed = await db.Inferences.OrderBy(i => i.Stage).Select(i => new { i.Stage, i.Replicas, i.BootstrapServers, i.Threshold }).ToListAsync();
        Assert.Equal(
            [(1, 1, null, 0.9), (2, 1, broker.BootstrapServers, 0.8), (3, 2, null, (double?)null)],
            deployed.Select(d => (d.Stage, d.Replicas, d.BootstrapServers, d.Threshold)));
    }

    [Fact]
    public async Task A_chain_with_one_exits_threshold_left_blank_says_so_and_nothing_is_created()
    {
        var resultId = await SeedChainResultAsync();
        var page = RenderForm(resultId);
        page.WaitForElement("[data-testid=inference-stage-3]");

        Type(page, "inference-stage-2-threshold", "");
        page.Find("[data-testid=inference-submit]").Click();

        page.WaitForAssertion(() => Assert.Contains("Give every early exit a threshold", page.Find("[data-testid=inference-thresholds-error]").TextContent));
        Assert.Equal(0, page.FindComponent<InferenceNewPage>().Instance.Submitted);
        Assert.Equal(0, await InferenceCountAsync());
    }
}
