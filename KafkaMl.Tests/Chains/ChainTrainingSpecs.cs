using KafkaMl.Core.Chains;
using KafkaMl.Core.Jobs.Training;
using KafkaMl.Tests.Jobs.Training;
using KafkaMl.Tests.Training;

namespace KafkaMl.Tests.Chains;

/// <summary>Joint training of a chain's exits and the exit trade-off on the test split (<see cref="TrainedChain"/>).</summary>
[Collection(TorchGlobalState.Name)]
public sealed class ChainTrainingSpecs(TrainedChain trained) : IClassFixture<TrainedChain>
{
    private const string Accuracy = MetricNames.Accuracy;

    [Fact]
    public void Joint_training_teaches_every_exit_well_above_chance()
    {
        Assert.Equal([1, 2, 3], trained.Chain.Exits.Select(e => e.Exit));
        Assert.All(trained.Chain.Exits, e => Assert.True(e.TestMetrics[Accuracy] >= 0.55, $"exit {e.Exit} test accuracy {e.TestMetrics[Accuracy]} (chance 0.33)\n{trained.Log}"));
        Assert.True(trained.Chain.Exits[^1].TestMetrics[Accuracy] >= 0.9, $"the final exit learns the rings of the hard samples too\n{trained.Log}");
        Assert.All(trained.Chain.Exits, e => Assert.Equal(3, e.ConfusionMatrix!.Length));
        Assert.Equal(trained.Result.TestMetrics[Accuracy], trained.Chain.Exits[^1].TestMetrics[Accuracy]);
        Assert.Equal(trained.Result.ConfusionMatrix, trained.Chain.Exits[^1].ConfusionMatrix);
    }

    [Fact]
    public void Every_epoch_reports_each_early_exits_metrics_under_its_prefix_and_the_final_exits_under_the_plain_names()
    {
        string[] names = ["accuracy", "exit1_accuracy", "exit1_loss", "exit2_accuracy", "exit2_loss", "joint_loss", "loss"];

        Assert.Equal(Enumerable.Range(1, TrainedChain.Epochs), trained.Reporter.Epochs.Select(e => e.Epoch));
        Assert.All(trained.Reporter.Epochs, e =>
        {
            Assert.Equal(names, e.Train.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(names, e.Validation.Keys.Order(StringComparer.Ordinal));
        });
        var last = trained.Reporter.Epochs[^1];
        Assert.Equal((last.Train["exit1_loss"], last.Validation["exit2_accuracy"]), (trained.Chain.Exits[0].TrainMetrics["loss"], trained.Chain.Exits[1].ValMetrics[Accuracy]));
    }

    [Fact]
    public void The_joint_loss_weighs_the_exits_losses_by_the_scripts_exit_weights()
    {
        var validation = trained.Reporter.Epochs[^1].Validation;

        Assert.Equal([0.25, 0.25, 0.5], trained.Chain.ExitWeights);
        Assert.Equal(0.25 * validation["exit1_loss"] + 0.25 * validation["exit2_loss"] + 0.5 * validation["loss"], validation["joint_loss"], 9);
    }

    [Fact]
    public void The_trade_off_has_a_row_per_threshold_whose_shares_sum_to_one()
    {
        var rows = trained.Chain.TradeOff!;

        Assert.Equal([.. Enumerable.Range(0, 21).Select(i => Math.Round(i * 0.05, 9)), 1.05], rows.Select(r => Math.Round(r.Threshold, 9)));
        Assert.All(rows, r =>
        {
            Assert.Equal(3, r.Shares.Count);
            Assert.Equal(1, r.Shares.Sum(), 9);
        });
    }

    [Fact]
    public void At_threshold_0_every_sample_leaves_at_exit_1_with_exit_1s_accuracy()
    {
        var first = trained.Chain.TradeOff![0];

        Assert.Equal([1.0, 0, 0], first.Shares);
        Assert.Equal(trained.Chain.Exits[0].TestMetrics[Accuracy], first.Accuracy, 9);
    }

    [Fact]
    public void Above_1_every_sample_goes_to_the_final_stage_with_the_final_exits_accuracy()
    {
        var last = trained.Chain.TradeOff![^1];

        Assert.True(last.Threshold > 1);
        Assert.Equal([0, 0, 1.0], last.Shares);
        Assert.Equal(trained.Result.TestMetrics[Accuracy], last.Accuracy, 9);
    }

    [Fact]
    public void At_the_suggested_threshold_the_easy_samples_leave_at_the_edge_and_the_hard_ones_go_up()
    {
        var rows = trained.Chain.TradeOff!;
        var suggested = rows.Single(r => r.Threshold == trained.Chain.SuggestedThreshold);

        Assert.InRange(suggested.Shares[0], 0.4, 0.6); // half the samples are easy: the linear edge exit answers those
        Assert.True(suggested.Accuracy > rows[0].Accuracy + 0.2, $"accuracy {suggested.Accuracy} at the suggestion, {rows[0].Accuracy} with the edge alone");
    }

    [Fact]
    public void The_suggested_threshold_is_the_lowest_within_the_tolerance_of_the_final_exit()
    {
        var rows = trained.Chain.TradeOff!;
        var final = rows[^1].Accuracy;
        var suggested = trained.Chain.SuggestedThreshold!.Value;

        Assert.Equal(0.01, trained.Chain.Tolerance);
        Assert.True(rows.Single(r => r.Threshold == suggested).Accuracy >= final - 0.01);
        Assert.All(rows.Where(r => r.Threshold < suggested), r => Assert.True(r.Accuracy < final - 0.01, $"threshold {r.Threshold} is lower and within the tolerance"));
    }

    [Fact]
    public void The_result_report_carries_the_chain_as_JSON_and_a_plain_report_without_it_still_reads()
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(trained.Result, PortalClient.Json))!["chain"]!;

        Assert.Equal(["exitWeights", "exits", "tradeOff", "suggestedThreshold", "tolerance"], json.AsObject().Select(p => p.Key));
        Assert.Equal(["exit", "trainMetrics", "valMetrics", "testMetrics", "confusionMatrix"], json["exits"]![0]!.AsObject().Select(p => p.Key));
        Assert.Equal(["threshold", "shares", "accuracy"], json["tradeOff"]![0]!.AsObject().Select(p => p.Key));
        var plain = JsonSerializer.Deserialize<TrainingResultReport>(
            """{"trainMetrics":{"loss":0.1},"valMetrics":{},"testMetrics":{},"confusionMatrix":null,"trainingSeconds":1,"scaler":null}""", PortalClient.Json)!;
        Assert.Null(plain.Chain);
    }

    [Fact]
    public void A_chain_is_refused_for_an_incremental_deployment_before_any_data_is_read()
    {
        var spec = JobData.Spec(deploymentId: 9, code: TrainedChain.Script) with { Incremental = new IncrementalSettings() };
        using var chain = ChainScript.EarlyExitChain(ChainScript.Stage(TorchSharp.torch.nn.Linear(4, 8), TorchSharp.torch.nn.Linear(8, 3)), TorchSharp.torch.nn.Linear(8, 3));

        var refusal = Assert.Throws<TrainingJobException>(() => TrainingJob.ResolveSettings(spec, new ModelDefinition(chain), 0, 0, 1));

        Assert.Contains("is an early-exit chain, which trains jointly on one bounded stream, but deployment 9 is incremental", refusal.Message);
    }
}
