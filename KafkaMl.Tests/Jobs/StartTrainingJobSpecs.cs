namespace KafkaMl.Tests.Jobs;

public sealed class StartTrainingJobSpecs : HarnessSpecBase
{
    private async Task<DeploymentResponseIds> DeployTwoModelsAsync()
    {
        var first = await Harness.Database.SeedModelAsync();
        var second = await Harness.Database.SeedModelAsync();
        var configuration = await Harness.Database.SeedConfigurationAsync(first.Id, second.Id);
        var deployment = await Harness.DeployAsync(configuration.Id);
        return new(deployment.Id, [.. deployment.Results.Select(r => r.Id)]);
    }

    private sealed record DeploymentResponseIds(int DeploymentId, int[] ResultIds);

    [Fact]
    public async Task Each_result_gets_a_train_job_named_for_it_with_the_portal_url_broker_and_its_token()
    {
        var deployment = await DeployTwoModelsAsync();

        await Harness.RunEnqueuedStartsAsync();

        Assert.Equal(deployment.ResultIds.Select(JobSpec.TrainingName), Harness.Runner.Started.Select(s => s.Name));
        foreach (var (spec, resultId) in Harness.Runner.Started.Zip(deployment.ResultIds))
        {
            Assert.Equal(JobKind.Training, spec.Kind);
            Assert.Equal(["train", "--result", resultId.ToString()], spec.Arguments);
            Assert.Equal(TrainingHarness.PortalUrl, spec.Environment[JobEnvironment.PortalUrlVariable]);
            Assert.Equal(Harness.Kafka.BootstrapServers, spec.Environment[JobEnvironment.BootstrapServersVariable]);
            Assert.Equal(Harness.Kafka.ControlTopic, spec.Environment[JobEnvironment.ControlTopicVariable]);
            Assert.True(Harness.Tokens.IsValidForTraining(resultId, spec.Environment[JobEnvironment.TokenVariable]));
            Assert.Equal(1, spec.Replicas);
            Assert.Equal(resultId.ToString(), spec.Labels!["kafkaml/result-id"]);
        }
    }

    [Fact]
    public async Task A_jobs_token_is_refused_for_the_other_results()
    {
        var deployment = await DeployTwoModelsAsync();

        await Harness.RunEnqueuedStartsAsync();

        var firstToken = Harness.Runner.Started[0].Environment[JobEnvironment.TokenVariable];
        Assert.False(Harness.Tokens.IsValidForTraining(deployment.ResultIds[1], firstToken));
    }

    [Fact]
    public async Task Starting_marks_the_result_deployed()
    {
        var deployment = await DeployTwoModelsAsync();

        await Harness.RunEnqueuedStartsAsync();

        foreach (var id in deployment.ResultIds)
            Assert.Equal(TrainingStatus.Deployed, (await Harness.ReadResultAsync(id)).Status);
    }

    [Fact]
    public async Task Running_the_start_again_starts_nothing_more()
    {
        await DeployTwoModelsAsync();
        await Harness.RunEnqueuedStartsAsync();

        await Harness.RunEnqueuedStartsAsync(); // Hangfire retried, or ran it twice

        Assert.Equal(2, Harness.Runner.Started.Count);
    }

    [Fact]
    public async Task A_result_the_job_reported_training_on_while_it_was_starting_stays_training()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Created);
        // The job came up and reported training before the start job recorded deployed.
        Harness.Runner.OnStart = _ => Harness.SetStatusAsync(resultId, TrainingStatus.Training);
        await using var db = Harness.CreateContext();

        await Harness.StartJob(db).RunAsync(resultId, JobKind.Training, null, CancellationToken.None);

        Assert.Equal(TrainingStatus.Training, (await Harness.ReadResultAsync(resultId)).Status);
        Assert.Empty(Harness.Runner.Stopped);
    }

    [Fact]
    public async Task A_result_stopped_while_its_job_was_starting_has_the_job_stopped_again()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Created);
        Harness.Runner.OnStart = _ => Harness.SetStatusAsync(resultId, TrainingStatus.Stopped);
        await using var db = Harness.CreateContext();

        await Harness.StartJob(db).RunAsync(resultId, JobKind.Training, null, CancellationToken.None);

        Assert.Equal([JobSpec.TrainingName(resultId)], Harness.Runner.Stopped);
        Assert.Equal(TrainingStatus.Stopped, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task A_deleted_result_is_not_started()
    {
        await using var db = Harness.CreateContext();

        await Harness.StartJob(db).RunAsync(12345, JobKind.Training, null, CancellationToken.None);

        Assert.Empty(Harness.Runner.Started);
    }

    [Fact]
    public async Task A_stopped_result_is_not_started()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Stopped);
        await using var db = Harness.CreateContext();

        await Harness.StartJob(db).RunAsync(resultId, JobKind.Training, null, CancellationToken.None);

        Assert.Empty(Harness.Runner.Started);
    }

    [Fact]
    public async Task When_the_last_attempt_to_start_fails_the_result_is_failed_with_the_reason()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Created);
        Harness.Runner.StartFailure = new InvalidOperationException("no such image");
        await using var db = Harness.CreateContext();

        await Harness.StartJob(db).RunAsync(resultId, JobKind.Training, null, CancellationToken.None); // null context: the last attempt

        var result = await Harness.ReadResultAsync(resultId);
        Assert.Equal(TrainingStatus.Failed, result.Status);
        Assert.Contains("no such image", result.Error);
    }
}
