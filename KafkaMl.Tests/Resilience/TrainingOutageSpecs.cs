namespace KafkaMl.Tests.Resilience;

/// <summary>
/// Faults during training, against the real portal process, its real <c>train</c> child process and a broker whose
/// connections the spec cuts: the job rides through broker outages and through a portal crash, and the result ends
/// finished with every epoch recorded.
/// </summary>
[Collection(ResilienceCollection.Name)]
public sealed class TrainingOutageSpecs(ResiliencePortal portal, ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_training_job_rides_through_broker_outages_while_waiting_reading_and_training_and_records_every_epoch()
    {
        const int epochs = 1000;
        var deployment = await portal.DeployHcopdAsync(epochs);
        var resultId = deployment.Results[0].Id;
        await WaitForJobLogAsync(resultId, "waiting for a control message");

        var whileWaiting = await portal.Broker.InterruptAsync(Outage);
        await portal.SendHcopdAsync(deployment.Id);
        // At once, as the job finds its control message and reads the ranges it names.
        var whileReading = await portal.Broker.InterruptAsync(Outage);
        await portal.WaitForResultAsync(resultId, r => r.Status == TrainingStatus.Training || r.Status.IsFinal());
        await WaitForEpochsAsync(resultId, 1);
        var whileTraining = portal.Broker.InterruptAsync(Outage);
        var cutWhileTraining = await whileTraining;

        var result = await portal.WaitForResultAsync(resultId, r => r.Status.IsFinal());

        output.WriteLine($"connections cut: {whileWaiting} while waiting, {whileReading} while reading, {cutWhileTraining} while training");
        Assert.True(result.Status == TrainingStatus.Finished, $"{result.Status}: {result.Error}\n{portal.JobLog(resultId)}");
        Assert.True(whileWaiting > 0, "the job held no broker connection while it waited for its control message");
        Assert.Equal(Enumerable.Range(1, epochs), await portal.EpochsAsync(resultId));
        Assert.Equal(24, result.ConfusionMatrix!.Sum(row => row.Sum()));
    }

    [LinuxFact]
    public async Task A_portal_killed_and_restarted_mid_training_loses_no_epoch_and_the_job_it_left_running_finishes_the_result()
    {
        const int epochs = 1000;
        var deployment = await portal.DeployHcopdAsync(epochs);
        var resultId = deployment.Results[0].Id;
        await portal.SendHcopdAsync(deployment.Id);
        await WaitForEpochsAsync(resultId, 5);
        var pidFile = Path.Combine(portal.DataDir, "jobs", $"kafkaml-train-{resultId}", "replica-0.pid");
        var job = int.Parse(File.ReadAllText(pidFile).Split(' ')[0]);

        await portal.KillAndRestartPortalAsync(down: TimeSpan.FromSeconds(10));
        var adopted = await portal.Portal.WaitForLineAsync(l => l.Contains($"Adopted Training job kafkaml-train-{resultId} replica 0 (pid ", StringComparison.Ordinal), Eventually.Patience);
        var result = await portal.WaitForResultAsync(resultId, r => r.Status.IsFinal());

        output.WriteLine(adopted);
        Assert.True(result.Status == TrainingStatus.Finished, $"{result.Status}: {result.Error}\n{portal.JobLog(resultId)}");
        Assert.Equal(Enumerable.Range(1, epochs), await portal.EpochsAsync(resultId));
        Assert.Contains($"pid {job}", adopted);
        Assert.Equal(24, result.ConfusionMatrix!.Sum(row => row.Sum()));
    }

    private Task WaitForEpochsAsync(int resultId, int count) =>
        Eventually.Until(
            () => portal.EpochsAsync(resultId), epochs => epochs.Count >= count,
            _ => $"result {resultId} to record {count} epochs\n{portal.JobLog(resultId)}", TimeSpan.FromMilliseconds(100));

    private Task WaitForJobLogAsync(int resultId, string text) =>
        Eventually.Until(
            () => portal.JobLog(resultId), log => log.Contains(text, StringComparison.Ordinal),
            log => $"the job of result {resultId} to log '{text}'\n{log}", TimeSpan.FromMilliseconds(100));
}
