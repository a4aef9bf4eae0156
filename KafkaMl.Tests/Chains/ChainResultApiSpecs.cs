using KafkaMl.Tests.Apis;
using Microsoft.AspNetCore.Http.HttpResults;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Chains;

/// <summary>A chain's report uploaded with the result: stored on the result, shown by <c>GET /api/results/{id}</c>, checked for consistency.</summary>
public sealed class ChainResultApiSpecs : HarnessSpecBase
{
    private async Task<IResult> UploadAsync(int resultId, TrainingResultReport report)
    {
        await using var db = Harness.CreateContext();
        return (await TrainingJobsApi.UploadResult(resultId, AResultForm(report), db, Harness.Orchestrator, Harness.Notifier, Ct)).Result;
    }

    private async Task<ResultResponse> GetAsync(int resultId)
    {
        await using var db = Harness.CreateContext();
        var results = new ResultService(new ContextsLike(db), Harness.Orchestrator, Harness.Notifier, Harness.Runner, Harness.KafkaMlOptions);
        return Assert.IsType<Ok<ResultResponse>>((await ResultsApi.GetResult(resultId, results, Ct)).Result).Value!;
    }

    [Fact]
    public async Task A_chains_report_is_stored_with_the_result_and_shown_by_the_results_api()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        Assert.IsType<NoContent>(await UploadAsync(resultId, AResultReport() with { Chain = ChainReports.AThreeExitReport() }));

        var chain = (await GetAsync(resultId)).Chain!;
        Assert.Equal([0.25, 0.25, 0.5], chain.ExitWeights);
        Assert.Equal([0.69, 0.84, 0.94], chain.Exits.Select(e => e.TestMetrics["accuracy"]));
        Assert.Equal([[8, 2], [1, 9]], chain.Exits[1].ConfusionMatrix);
        Assert.Equal(22, chain.TradeOff!.Count);
        Assert.Equal([0, 0, 1], chain.TradeOff[^1].Shares);
        Assert.Equal((0.7, 0.01), (chain.SuggestedThreshold, chain.Tolerance));
        var json = JsonSerializer.SerializeToNode(await GetAsync(resultId), JsonSerializerOptions.Web)!;
        Assert.Equal(0.8, json["chain"]!["tradeOff"]![10]!["accuracy"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_plain_models_result_has_no_chain()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        await UploadAsync(resultId, AResultReport());

        Assert.Null((await GetAsync(resultId)).Chain);
    }

    [Fact]
    public async Task A_chain_report_with_one_exit_answers_400_on_chain_and_leaves_the_result_training()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        var chain = ChainReports.AThreeExitReport();

        var result = await UploadAsync(resultId, AResultReport() with { Chain = chain with { Exits = [chain.Exits[0]], ExitWeights = [1] } });

        ApiAssert.ValidationProblem(result, "report.chain");
        Assert.Equal(TrainingStatus.Training, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task A_trade_off_row_without_a_share_per_exit_answers_400_on_chain()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        var chain = ChainReports.AThreeExitReport();

        var result = await UploadAsync(resultId, AResultReport() with { Chain = chain with { TradeOff = [new ExitTradeOffRow(0.5, [1, 0], 0.7)] } });

        ApiAssert.ValidationProblem(result, "report.chain");
    }
}
