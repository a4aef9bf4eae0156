using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Tests.Apis;

/// <summary>Self-training rounds as a job reports them (POST .../self-training) and as GET /api/results/{id} shows them.</summary>
public sealed class SelfTrainingApiSpecs : HarnessSpecBase
{
    private ResultService Results(KafkaMlDbContext db) => new(new ContextsLike(db), Harness.Orchestrator, Harness.Notifier, Harness.Runner, Harness.KafkaMlOptions);

    private async Task<IResult> ReportAsync(int resultId, SelfTrainingRoundReport report)
    {
        await using var db = Harness.CreateContext();
        return (await TrainingJobsApi.ReportSelfTrainingRound(resultId, report, db, Harness.Notifier, Ct)).Result;
    }

    private async Task<ResultResponse> ResultAsync(int resultId)
    {
        await using var db = Harness.CreateContext();
        return Assert.IsType<Ok<ResultResponse>>((await ResultsApi.GetResult(resultId, Results(db), Ct)).Result).Value!;
    }

    private static SelfTrainingRoundReport ARound(int round, int added, double accuracy, int? window = null) => new(
        round,
        added,
        round == 0 ? new Dictionary<string, int>() : new Dictionary<string, int> { ["0"] = added / 2, ["1"] = added - added / 2 },
        0.9,
        new Dictionary<string, double> { ["loss"] = 1 - accuracy, ["accuracy"] = accuracy },
        PoolLeft: 1000 - added,
        window);

    [Fact]
    public async Task Rounds_are_stored_in_order_and_the_results_api_shows_them_with_their_wire_names()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        Assert.IsType<NoContent>(await ReportAsync(resultId, ARound(1, 412, 0.91)));
        Assert.IsType<NoContent>(await ReportAsync(resultId, ARound(0, 0, 0.8)));

        var rounds = (await ResultAsync(resultId)).SelfTraining;
        Assert.Equal([(0, 0), (1, 412)], rounds.Select(r => (r.Round, r.Added)));
        var json = JsonSerializer.SerializeToElement(await ResultAsync(resultId), JsonSerializerOptions.Web).GetProperty("selfTraining");
        var first = json[1];
        Assert.Equal(412, first.GetProperty("added").GetInt32());
        Assert.Equal(206, first.GetProperty("classCounts").GetProperty("1").GetInt32());
        Assert.Equal(0.9, first.GetProperty("confidence").GetDouble());
        Assert.Equal(0.91, first.GetProperty("testMetrics").GetProperty("accuracy").GetDouble());
        Assert.Equal(588, first.GetProperty("poolLeft").GetInt64());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("window").ValueKind);
        Assert.Equal(0, json[0].GetProperty("round").GetInt32());
    }

    [Fact]
    public async Task A_round_reported_again_replaces_the_earlier_report_of_the_same_round_and_window()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        await ReportAsync(resultId, ARound(1, 10, 0.7, window: 1));
        await ReportAsync(resultId, ARound(1, 20, 0.8, window: 2));
        await ReportAsync(resultId, ARound(1, 15, 0.75, window: 1));

        var rounds = (await ResultAsync(resultId)).SelfTraining;
        Assert.Equal([(1, 1, 15), (2, 1, 20)], rounds.Select(r => (r.Window ?? 0, r.Round, r.Added)));
    }

    [Fact]
    public async Task A_supervised_result_shows_an_empty_list_of_rounds()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        var json = JsonSerializer.SerializeToElement(await ResultAsync(resultId), JsonSerializerOptions.Web);

        Assert.Equal(0, json.GetProperty("selfTraining").GetArrayLength());
    }

    [Fact]
    public async Task A_round_moves_a_deployed_result_to_training()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Deployed);

        await ReportAsync(resultId, ARound(0, 0, 0.8));

        Assert.Equal(TrainingStatus.Training, (await ResultAsync(resultId)).Status);
    }

    [Theory]
    [InlineData(TrainingStatus.Stopped)]
    [InlineData(TrainingStatus.Finished)]
    public async Task A_result_that_no_longer_takes_reports_answers_409_and_keeps_no_round(TrainingStatus final)
    {
        var resultId = await Harness.SeedResultAsync(final);

        Assert.IsType<Conflict<ProblemDetails>>(await ReportAsync(resultId, ARound(0, 0, 0.8)));

        Assert.Empty((await ResultAsync(resultId)).SelfTraining);
    }

    [Fact]
    public async Task A_round_for_an_unknown_result_answers_404()
    {
        Assert.IsType<NotFound<ProblemDetails>>(await ReportAsync(999, ARound(0, 0, 0.8)));
    }

    [Fact]
    public async Task A_bad_round_is_refused_field_by_field_and_nothing_is_stored()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        var result = await ReportAsync(resultId, ARound(-1, -2, 0.8, window: 0) with { Confidence = 0, PoolLeft = -1 });

        foreach (var field in new[] { "round", "added", "window", "confidence", "poolLeft" })
            Assert.Single(ApiAssert.ValidationProblem(result, field));
        Assert.Empty((await ResultAsync(resultId)).SelfTraining);
    }
}
