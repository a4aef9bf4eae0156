using KafkaMl.Core.Jobs.Training;
using KafkaMl.Tests.Jobs.Training;

namespace KafkaMl.Tests.Chains;

/// <summary>A chain trained by the real training job from a bounded stream on the embedded broker.</summary>
[Collection(TrainingJobCollection.Name)]
public sealed class ChainTrainingJobSpecs(BrokerFixture broker)
{
    [Fact]
    public async Task The_training_job_trains_a_chain_jointly_and_uploads_its_weights_with_the_chain_result()
    {
        var (data, control) = broker.NewTopics();
        var deployment = JobData.NewDeploymentId();
        var range = await broker.SendSamples(data, 0, ChainData.EasyAndHard(300, seed: 5));
        await broker.SendControl(control, deployment, broker.ControlFor([range], validationRate: 0.2, testRate: 0.3));
        using var reporter = new RecordingReporter(JobData.Spec(deployment, code: ChainData.Script, epochs: 5, batchSize: 32));
        var log = new LogLines();

        var outcome = await JobData.RunJobAsync(broker, control, reporter, log);

        Assert.True(outcome.Status == TrainingJobStatus.Finished, $"{outcome.Error}\n{log}");
        var chain = reporter.Result!.Chain!;
        Assert.Equal([1, 2, 3], chain.Exits.Select(e => e.Exit));
        Assert.Equal(22, chain.TradeOff!.Count);
        Assert.All(reporter.Epochs, e => Assert.Contains("exit2_loss", e.Validation.Keys));
        Assert.NotNull(reporter.Artifacts);
        Assert.Contains(log.Lines, line => line.StartsWith("early-exit chain of 3 stages", StringComparison.Ordinal));
    }
}
