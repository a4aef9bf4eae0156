using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>
/// The figure the semi-supervised issue is held to: on a generated two-class set where 5% of the samples are labelled
/// and 95% are sent unlabelled the Kafka-ML way, self-training through a real job beats the supervised-only round 0,
/// and beats the same model trained supervised for as many epochs as every round together (so the gain is the
/// pseudo-labels', not the extra epochs').
/// </summary>
/// <remarks>
/// The set: two Gaussian blobs in 20 dimensions, 3.3 apart along one axis (the best possible accuracy is Φ(1.65) ≈ 95%),
/// 4000 samples. 200 (5%) are labelled: 40 to train, 20 to validate, 140 to test (test rate 0.7, so the figure rests on
/// 140 samples); 3800 are unlabelled. The model is a linear classifier behind an input dropout: trained on its own
/// confident predictions under that noise, it moves towards the gap between the blobs (as a noisy student does); a
/// model trained without noise to zero loss only learns its own predictions back.
/// </remarks>
[Collection(TrainingJobCollection.Name)]
public sealed class SemiSupervisedGainSpecs(BrokerFixture broker, ITestOutputHelper output)
{
    private const int Count = 4000;
    private const int Dimensions = 20;
    private const int EpochsPerRound = 50;
    private const double ValidationRate = 0.1;
    private const double TestRate = 0.7;
    private static readonly string Model = $"""Sequential(("drop", Dropout(0.2)), ("fc", Linear({Dimensions}, 2)))""";

    [Fact]
    public async Task Self_training_on_95_percent_unlabelled_blobs_beats_the_supervised_round_0_and_as_many_supervised_epochs()
    {
        var samples = SemiSupervisedData.Blobs(Count, Dimensions, separation: 3.3, seed: 11);
        var labelled = samples.Take(Count / 20).ToList();

        var (semi, semiLog) = await TrainAsync(labelled, samples.Skip(Count / 20).Select(s => s.Features), SemiSupervisedData.Spec(JobData.NewDeploymentId(), epochs: EpochsPerRound, code: Model));
        using var semiReporter = semi;
        var rounds = semi.Rounds;
        var epochsRun = semi.Epochs.Count;
        var (supervised, supervisedLog) = await TrainAsync(labelled, null, JobData.Spec(JobData.NewDeploymentId(), code: Model, epochs: epochsRun, batchSize: 16));
        using var supervisedReporter = supervised;

        var round0 = rounds[0].TestMetrics[MetricNames.Accuracy];
        var last = rounds[^1].TestMetrics[MetricNames.Accuracy];
        var longer = supervised.Result!.TestMetrics[MetricNames.Accuracy];
        output.WriteLine($"5% labelled blobs: round 0 test accuracy {round0:0.###}, round {rounds[^1].Round} {last:0.###}; supervised only for all {epochsRun} epochs {longer:0.###}");
        output.WriteLine(semiLog.ToString());
        Assert.Equal(0, rounds[0].Round);
        Assert.Equal(0, rounds[0].Added);
        Assert.Equal(Count - Count / 20, rounds[0].PoolLeft);
        Assert.True(rounds.Count >= 2, $"{rounds.Count} round(s)\n{semiLog}");
        Assert.All(rounds.Skip(1), r => Assert.True(r.Added > 0, $"round {r.Round} added {r.Added}"));
        Assert.All(rounds.Skip(1), r => Assert.Equal(r.Added, r.ClassCounts.Values.Sum()));
        Assert.Equal(Count - Count / 20, rounds[^1].PoolLeft + rounds.Sum(r => r.Added));
        Assert.True(last > round0, $"self-training {last} did not beat round 0 {round0}\n{semiLog}");
        Assert.True(last > longer, $"self-training {last} did not beat {epochsRun} supervised epochs {longer}\n{supervisedLog}");
        Assert.Equal(rounds[^1].TestMetrics, semi.Result!.TestMetrics); // the result carries the last round
        Assert.Equal(Enumerable.Range(1, epochsRun), semi.Epochs.Select(e => e.Epoch)); // one epoch count across rounds
    }

    private async Task<(RecordingReporter Reporter, LogLines Log)> TrainAsync(
        IReadOnlyList<(float[] Features, float Label)> labelled, IEnumerable<float[]>? unlabelled, TrainingJobSpec spec)
    {
        var (data, control) = broker.NewTopics();
        var labelledRange = await broker.SendSamples(data, 0, labelled);
        var message = broker.ControlFor([labelledRange], ValidationRate, TestRate);
        if (unlabelled is not null)
        {
            var unlabelledRange = await SemiSupervisedData.SendUnlabelled(broker, data + "-unlabelled", 0, unlabelled);
            message = message with { UnsupervisedTopic = TopicRanges.Format([unlabelledRange]) };
        }
        await broker.SendControl(control, spec.DeploymentId, message);
        var reporter = new RecordingReporter(spec with { ResultId = spec.DeploymentId, LearningRate = 0.05 });
        var log = new LogLines();
        var outcome = await SemiSupervisedData.RunAsync(broker, control, reporter, spec.DeploymentId, log);
        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        return (reporter, log);
    }
}
