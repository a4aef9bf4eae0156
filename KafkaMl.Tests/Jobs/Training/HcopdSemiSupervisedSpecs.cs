using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>
/// The paper's COPD example with 20% of the samples labelled and the rest sent unlabelled the Kafka-ML way: the
/// figures the README states, whatever they are (this spec holds them to be real measurements of rounds that ran,
/// not to a gain).
/// </summary>
[Collection(TrainingJobCollection.Name)]
public sealed class HcopdSemiSupervisedSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    [Fact]
    public async Task HCOPD_with_20_percent_labelled_self_trains_and_reports_round_0_and_the_last_rounds_test_accuracy()
    {
        var samples = JobData.HcopdShuffled();
        var labelledCount = (int)Math.Round(samples.Count * 0.2);
        var sent = await SemiSupervisedData.SendAsync(broker, samples.Take(labelledCount), samples.Skip(labelledCount).Select(s => s.Features), validationRate: 0.1, testRate: 0.4);
        var spec = SemiSupervisedData.Spec(sent.Deployment, epochs: 50, batchSize: 10, code: JobData.HcopdScript) with { LearningRate = 0.01 };
        using var reporter = new RecordingReporter(spec);
        var log = new LogLines();

        var outcome = await SemiSupervisedData.RunAsync(broker, sent.Control, reporter, sent.Deployment, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        var rounds = reporter.Rounds;
        var (_, _, test) = SampleSet.SplitSizes(labelledCount, 0.1, 0.4);
        var round0 = rounds[0].TestMetrics[MetricNames.Accuracy];
        var last = rounds[^1].TestMetrics[MetricNames.Accuracy];
        output.WriteLine($"HCOPD, {labelledCount} of {samples.Count} labelled ({test} to test): round 0 test accuracy {round0:0.###}, round {rounds[^1].Round} {last:0.###}");
        output.WriteLine(string.Join(Environment.NewLine, rounds.Select(r => $"round {r.Round}: added {r.Added}, {r.PoolLeft} left, test accuracy {r.TestMetrics[MetricNames.Accuracy]:0.###}")));
        output.WriteLine(log.ToString());
        Assert.Equal(samples.Count - labelledCount, rounds[0].PoolLeft);
        Assert.True(rounds.Count >= 2, $"{rounds.Count} round(s)\n{log}");
        Assert.All(rounds, r => Assert.InRange(r.TestMetrics[MetricNames.Accuracy], 0, 1));
        Assert.All(rounds, r => Assert.True(r.TestMetrics[MetricNames.Accuracy] * test % 1 is < 1e-9 or > 1 - 1e-9, "an accuracy of whole test samples"));
        Assert.Equal(test, reporter.Result!.ConfusionMatrix!.Sum(row => row.Sum()));
    }
}
