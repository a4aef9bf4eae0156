namespace KafkaMl.Tests.Jobs;

public sealed class ReconcileTrainingJobSpecs : IDisposable
{
    private static readonly DateTimeOffset LongAgo = DateTimeOffset.UtcNow.AddHours(-1);
    private readonly TrainingHarness harness = new(unknownJobGrace: TimeSpan.FromMinutes(1));

    public void Dispose() => harness.Dispose();

    private async Task ReconcileAsync()
    {
        await using var db = harness.CreateContext();
        await harness.ReconcileJob(db).RunAsync(JobKind.Training, CancellationToken.None);
    }

    [Fact]
    public async Task A_job_the_runner_no_longer_knows_fails_its_result_with_the_reason()
    {
        var resultId = await harness.SeedResultAsync(TrainingStatus.Training, statusChanged: LongAgo);

        await ReconcileAsync();

        var result = await harness.ReadResultAsync(resultId);
        Assert.Equal(TrainingStatus.Failed, result.Status);
        Assert.Contains("training job is gone", result.Error);
    }

    [Fact]
    public async Task A_job_the_runner_reports_failed_fails_its_result_with_the_runners_reason_and_the_end_of_its_log()
    {
        var resultId = await harness.SeedResultAsync(TrainingStatus.Training);
        var name = JobSpec.TrainingName(resultId);
        harness.Runner.SetState(name, new JobState(JobPhase.Failed, "exit code 137 (killed)", ExitCode: 137));
        harness.Runner.SetLog(name, "epoch 1/5 loss 0.69\nepoch 2/5 loss 0.61");

        await ReconcileAsync();

        var result = await harness.ReadResultAsync(resultId);
        Assert.Equal(TrainingStatus.Failed, result.Status);
        Assert.Contains("exit code 137 (killed)", result.Error);
        Assert.Contains("epoch 2/5 loss 0.61", result.Error);
    }

    [Fact]
    public async Task A_job_that_ended_without_reporting_a_result_fails_its_result()
    {
        var resultId = await harness.SeedResultAsync(TrainingStatus.Deployed);
        harness.Runner.SetState(JobSpec.TrainingName(resultId), new JobState(JobPhase.Succeeded, ExitCode: 0));

        await ReconcileAsync();

        var result = await harness.ReadResultAsync(resultId);
        Assert.Equal(TrainingStatus.Failed, result.Status);
        Assert.Equal("The training job ended without reporting a result.", result.Error);
    }

    [Theory]
    [InlineData(JobPhase.Running)]
    [InlineData(JobPhase.Pending)]
    public async Task A_job_still_running_or_pending_leaves_its_result_alone(JobPhase phase)
    {
        var resultId = await harness.SeedResultAsync(TrainingStatus.Training, statusChanged: LongAgo);
        harness.Runner.SetState(JobSpec.TrainingName(resultId), new JobState(phase));

        await ReconcileAsync();

        Assert.Equal(TrainingStatus.Training, (await harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task A_job_unknown_within_the_grace_period_leaves_its_result_alone()
    {
        var resultId = await harness.SeedResultAsync(TrainingStatus.Deployed, statusChanged: DateTimeOffset.UtcNow);

        await ReconcileAsync();

        Assert.Equal(TrainingStatus.Deployed, (await harness.ReadResultAsync(resultId)).Status);
    }

    [Theory]
    [InlineData(TrainingStatus.Created)]
    [InlineData(TrainingStatus.Finished)]
    [InlineData(TrainingStatus.Stopped)]
    public async Task Results_without_a_running_job_are_not_touched(TrainingStatus status)
    {
        var resultId = await harness.SeedResultAsync(status, statusChanged: LongAgo);

        await ReconcileAsync();

        Assert.Equal(status, (await harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task Reconcile_announces_the_failure_to_the_results_subscribers()
    {
        var resultId = await harness.SeedResultAsync(TrainingStatus.Training, statusChanged: LongAgo);
        var heard = new List<ResultChange>();
        using var subscription = harness.Notifier.Subscribe(resultId, change => { heard.Add(change); return Task.CompletedTask; });

        await ReconcileAsync();

        Assert.Equal(TrainingStatus.Failed, Assert.Single(heard).Status);
    }
}
