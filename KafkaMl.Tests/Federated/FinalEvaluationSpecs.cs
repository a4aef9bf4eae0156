using KafkaMl.Core.Federated;
using static KafkaMl.Tests.Federated.FederatedData;

namespace KafkaMl.Tests.Federated;

/// <summary>After the last round each site answers with its test metrics on its own test split; nothing else is taken.</summary>
public sealed class FinalEvaluationSpecs
{
    private static ReceivedTransfer Evaluation(string site, int round, long samples, Dictionary<string, double>? metrics) =>
        Receive(new TransferAssembler(), WeightTransfer.Split(Update(site, round, samples) with { Kind = TransferKinds.Evaluation, TestMetrics = metrics }, null))!;

    [Fact]
    public void An_evaluation_carries_its_test_metrics_and_count_and_no_weights()
    {
        var collector = new RoundCollector(6, TransferKinds.Evaluation, null);

        Assert.Null(collector.Offer(Evaluation("a", 6, 60, new() { ["accuracy"] = 0.9 })));

        var taken = Assert.Single(collector.Updates);
        Assert.Equal((60L, 0.9), (taken.Samples, taken.Manifest.TestMetrics!["accuracy"]));
        Assert.Null(taken.Weights);
    }

    [Fact]
    public void A_site_without_a_test_split_answers_with_zero_samples_and_is_taken_so_the_coordinator_need_not_wait_for_it()
    {
        var collector = new RoundCollector(6, TransferKinds.Evaluation, null);

        Assert.Null(collector.Offer(Evaluation("a", 6, 0, [])));

        Assert.Equal(0, Assert.Single(collector.Updates).Samples);
    }

    [Fact]
    public void An_evaluation_of_test_samples_without_metrics_or_of_another_round_is_rejected_and_counted()
    {
        var collector = new RoundCollector(6, TransferKinds.Evaluation, null);

        Assert.Contains("carries no test metrics", collector.Offer(Evaluation("a", 6, 60, null)));
        Assert.Contains("round 5", collector.Offer(Evaluation("b", 5, 60, new() { ["accuracy"] = 0.9 })));

        Assert.Equal((1, 1), (collector.Rejected[RejectionReason.Invalid], collector.Rejected[RejectionReason.Stale]));
        Assert.Empty(collector.Updates);
    }

    [Fact]
    public void A_round_ignores_evaluations_and_an_evaluation_ignores_updates()
    {
        var round = new RoundCollector(6, TransferKinds.Update, Weights(0));
        var evaluation = new RoundCollector(6, TransferKinds.Evaluation, null);

        Assert.Null(round.Offer(Evaluation("a", 6, 60, new() { ["accuracy"] = 0.9 })));
        Assert.Null(evaluation.Offer(Receive(new TransferAssembler(), WeightTransfer.Split(Update("a", 6, 10), Weights(1)))!));

        Assert.Empty(round.Updates);
        Assert.Empty(evaluation.Updates);
    }
}
