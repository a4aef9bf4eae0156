using KafkaMl.Tests.Apis;
using KafkaMl.Web.Jobs;
using static KafkaMl.Tests.Support.InferenceTestData;

namespace KafkaMl.Tests.Jobs;

/// <summary>
/// The Hangfire jobs of inference services, run directly against the real portal's database and a
/// <see cref="FakeJobRunner"/>: the idempotent start and the reconcile of statuses with the runner's view.
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class InferenceOrchestrationSpecs(OrchestrationPortalFactory portal)
{
    /// <summary>An inference row in <paramref name="status"/>, written without enqueuing a start (the test runs the jobs).</summary>
    private async Task<int> SeedInferenceAsync(InferenceStatus status, DateTimeOffset? statusChanged = null, int replicas = 2, int? inputPartitions = null)
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        var id = Guid.NewGuid().ToString("N")[..8];
        var inference = new KafkaMl.Core.Domain.Inference
        {
            ResultId = resultId, Replicas = replicas, InputFormat = "RAW", InputConfig = "{}", InputTopic = $"in-{id}", OutputTopic = $"out-{id}",
            Status = status, StatusChanged = statusChanged ?? DateTimeOffset.UtcNow, InputPartitions = inputPartitions,
        };
        db.Inferences.Add(inference);
        await db.SaveChangesAsync();
        return inference.Id;
    }

    private async Task RunAsync<TJob>(Func<TJob, Task> run) where TJob : notnull
    {
        using var scope = portal.Services.CreateScope();
        await run(scope.ServiceProvider.GetRequiredService<TJob>());
    }

    private async Task<KafkaMl.Core.Domain.Inference> ReadAsync(int id)
    {
        using var scope = portal.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>().Inferences.AsNoTracking().SingleAsync(i => i.Id == id);
    }

    [Fact]
    public async Task Starting_twice_starts_the_workload_once_and_marks_the_inference_deployed()
    {
        var id = await SeedInferenceAsync(InferenceStatus.Created, replicas: 3);

        await RunAsync<StartWorkloadJob>(job => job.RunAsync(id, JobKind.Inference, null, CancellationToken.None));
        await RunAsync<StartWorkloadJob>(job => job.RunAsync(id, JobKind.Inference, null, CancellationToken.None));

        var spec = Assert.Single(portal.Runner.Started, s => s.Name == JobSpec.InferenceName(id));
        Assert.Equal(3, spec.Replicas);
        Assert.Equal(InferenceStatus.Deployed, (await ReadAsync(id)).Status);
    }

    [Fact]
    public async Task A_start_failing_on_its_last_attempt_marks_the_inference_failed_with_the_reason()
    {
        var id = await SeedInferenceAsync(InferenceStatus.Created);
        portal.Runner.StartFailure = new InvalidOperationException("no room for replicas");
        try
        {
            await RunAsync<StartWorkloadJob>(job => job.RunAsync(id, JobKind.Inference, null, CancellationToken.None));
        }
        finally
        {
            portal.Runner.StartFailure = null;
        }

        var inference = await ReadAsync(id);
        Assert.Equal(InferenceStatus.Failed, inference.Status);
        Assert.Contains("no room for replicas", inference.Error);
    }

    [Fact]
    public async Task Reconcile_marks_a_deployed_inference_running_once_its_replicas_report()
    {
        var id = await SeedInferenceAsync(InferenceStatus.Deployed);
        portal.Runner.SetState(JobSpec.InferenceName(id), new JobState(JobPhase.Running, ReadyReplicas: 2));
        await portal.Services.GetRequiredService<InferenceMonitor>().RecordAsync(id, AStatsReport("0"));

        await RunAsync<ReconcileWorkloadJob>(job => job.RunAsync(JobKind.Inference, CancellationToken.None));

        Assert.Equal(InferenceStatus.Running, (await ReadAsync(id)).Status);
    }

    [Fact]
    public async Task Reconcile_keeps_an_inference_deployed_while_one_of_its_input_partitions_is_unassigned()
    {
        var id = await SeedInferenceAsync(InferenceStatus.Deployed, inputPartitions: 4);
        portal.Runner.SetState(JobSpec.InferenceName(id), new JobState(JobPhase.Running, ReadyReplicas: 2));
        var monitor = portal.Services.GetRequiredService<InferenceMonitor>();
        await monitor.RecordAsync(id, AStatsReport("0", partitions: [0, 1]));
        await monitor.RecordAsync(id, AStatsReport("1", partitions: [2]));

        await RunAsync<ReconcileWorkloadJob>(job => job.RunAsync(JobKind.Inference, CancellationToken.None));
        Assert.Equal(InferenceStatus.Deployed, (await ReadAsync(id)).Status);

        await monitor.RecordAsync(id, AStatsReport("1", partitions: [2, 3]));
        await RunAsync<ReconcileWorkloadJob>(job => job.RunAsync(JobKind.Inference, CancellationToken.None));
        Assert.Equal(InferenceStatus.Running, (await ReadAsync(id)).Status);
    }

    [Fact]
    public async Task Reconcile_fails_an_inference_whose_workload_failed_with_the_runners_reason_and_log()
    {
        var id = await SeedInferenceAsync(InferenceStatus.Running);
        var name = JobSpec.InferenceName(id);
        portal.Runner.SetState(name, new JobState(JobPhase.Failed, "replica 0 exited with code 1: the model script does not compile"));
        portal.Runner.SetLog(name, "infer: error CS1002: ; expected");

        await RunAsync<ReconcileWorkloadJob>(job => job.RunAsync(JobKind.Inference, CancellationToken.None));

        var inference = await ReadAsync(id);
        Assert.Equal(InferenceStatus.Failed, inference.Status);
        Assert.Contains("does not compile", inference.Error);
        Assert.Contains("CS1002", inference.Error);
        Assert.Contains(name, portal.Runner.Stopped);
    }

    [Fact]
    public async Task Reconcile_fails_an_inference_the_runner_no_longer_knows_after_the_grace_period()
    {
        var id = await SeedInferenceAsync(InferenceStatus.Deployed, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5));

        await RunAsync<ReconcileWorkloadJob>(job => job.RunAsync(JobKind.Inference, CancellationToken.None));

        var inference = await ReadAsync(id);
        Assert.Equal(InferenceStatus.Failed, inference.Status);
        Assert.Contains("gone", inference.Error);
    }

    [Fact]
    public async Task Reconcile_leaves_a_stopped_inference_stopped()
    {
        var id = await SeedInferenceAsync(InferenceStatus.Stopped, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5));
        portal.Runner.SetState(JobSpec.InferenceName(id), new JobState(JobPhase.Failed, "killed"));

        await RunAsync<ReconcileWorkloadJob>(job => job.RunAsync(JobKind.Inference, CancellationToken.None));

        Assert.Equal(InferenceStatus.Stopped, (await ReadAsync(id)).Status);
    }
}
