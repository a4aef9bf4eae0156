using System.Diagnostics;
using KafkaMl.Core.Orchestration.Local;
using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Orchestration.Local;

/// <summary>The local runner's job lifecycle: training outcomes, starting, stopping, scaling, restarts and logs.</summary>
public sealed class LocalJobRunnerSpecs : LocalJobRunnerSpecsBase
{
    [Fact]
    public async Task A_training_job_that_exits_0_succeeds()
    {
        await _runner.StartAsync(Training("kafkaml-train-1", Help), default);

        var state = await FinishedAsync("kafkaml-train-1");

        Assert.Equal(new JobState(JobPhase.Succeeded, ExitCode: 0), state);
    }

    [Fact]
    public async Task A_training_job_that_exits_non_zero_fails_with_its_exit_code_and_last_stderr_lines_as_the_reason()
    {
        await _runner.StartAsync(Training("kafkaml-train-2", FailingHealthcheck), default);

        var state = await FinishedAsync("kafkaml-train-2");

        Assert.Equal(JobPhase.Failed, state.Phase);
        Assert.Equal(1, state.ExitCode);
        Assert.StartsWith("exit code 1: http://127.0.0.1:1/: ", state.Reason);
    }

    [Fact]
    public async Task A_training_job_that_ends_is_announced_with_its_final_state()
    {
        var exited = new TaskCompletionSource<JobExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        _runner.JobExited += (_, e) => exited.TrySetResult(e);

        await _runner.StartAsync(Training("kafkaml-train-3", FailingHealthcheck), default);
        var announced = await exited.Task.WaitAsync(Eventually.Patience);

        Assert.Equal("kafkaml-train-3", announced.Name);
        Assert.Equal(1, announced.ExitCode);
        Assert.Equal(JobPhase.Failed, announced.State.Phase);
        Assert.Equal(await _runner.GetStateAsync("kafkaml-train-3", default), announced.State);
    }

    [LinuxFact]
    public async Task Starting_a_job_that_already_runs_starts_nothing()
    {
        var spec = Training("kafkaml-train-4", Broker);
        await _runner.StartAsync(spec, default);
        var pid = await RunningPidAsync("kafkaml-train-4", 0);

        await _runner.StartAsync(spec, default);

        var replica = Assert.Single(_runner.GetReplicas("kafkaml-train-4"));
        Assert.Equal(pid, replica.ProcessId);
        Assert.Equal(0, replica.Restarts);
        Assert.Equal([pid], ProcessesOfJob("kafkaml-train-4"));
    }

    [Fact]
    public async Task Stopping_ends_a_long_running_replica_and_the_job_is_gone_but_its_log_stays_readable()
    {
        await _runner.StartAsync(Training("kafkaml-train-5", Broker), default);
        var pid = await RunningPidAsync("kafkaml-train-5", 0);
        await LogContainsAsync("kafkaml-train-5", BrokerVerb.ReadyLinePrefix);

        await _runner.StopAsync("kafkaml-train-5", default);

        Assert.True(HasEnded(pid), $"process {pid} still runs");
        Assert.Equal(JobPhase.Unknown, (await _runner.GetStateAsync("kafkaml-train-5", default)).Phase);
        var log = await _runner.GetLogAsync("kafkaml-train-5", 100, default);
        Assert.Contains(BrokerVerb.ReadyLinePrefix, log);
        Assert.Contains("[kafkaml] stopped", log);
        await _runner.StopAsync("kafkaml-train-5", default); // stopping again is fine
    }

    [Fact]
    public async Task Scaling_an_inference_service_1_to_3_to_1_runs_that_many_processes_each_with_its_own_replica_index()
    {
        await _runner.StartAsync(Inference("kafkaml-infer-1", Broker, replicas: 1), default);
        var first = await RunningPidAsync("kafkaml-infer-1", 0);

        await _runner.ScaleAsync("kafkaml-infer-1", 3, default);
        var pids = new[] { first, await RunningPidAsync("kafkaml-infer-1", 1), await RunningPidAsync("kafkaml-infer-1", 2) };
        await Eventually.Until(async () => (await _runner.GetStateAsync("kafkaml-infer-1", default)).ReadyReplicas == 3, "3 ready replicas");

        Assert.Equal(3, pids.Distinct().Count());
        if (OperatingSystem.IsLinux())
            Assert.Equal(["0", "1", "2"], pids.Select(pid => Environ(pid)[LocalJobRunner.ReplicaVariable]));

        await _runner.ScaleAsync("kafkaml-infer-1", 1, default);

        Assert.Equal(new JobState(JobPhase.Running, ReadyReplicas: 1), await _runner.GetStateAsync("kafkaml-infer-1", default));
        Assert.Equal(first, Assert.Single(_runner.GetReplicas("kafkaml-infer-1")).ProcessId);
        Assert.True(HasEnded(pids[1]) && HasEnded(pids[2]), "replicas 1 and 2 still run");
    }

    [Fact]
    public async Task A_crashed_inference_replica_is_restarted_in_a_new_process()
    {
        var exits = new List<JobExitedEventArgs>();
        _runner.JobExited += (_, e) => { lock (exits) exits.Add(e); };
        await _runner.StartAsync(Inference("kafkaml-infer-2", Broker, replicas: 1), default);
        var pid = await RunningPidAsync("kafkaml-infer-2", 0);

        using (var process = Process.GetProcessById(pid)) process.Kill();

        await Eventually.Until(() => _runner.GetReplicas("kafkaml-infer-2")[0] is { Restarts: 1, ProcessId: { } next } && next != pid,
            "the replica to run again in a new process");
        Assert.Equal(JobPhase.Running, (await _runner.GetStateAsync("kafkaml-infer-2", default)).Phase);
        lock (exits) Assert.Equal(0, Assert.Single(exits).Replica);
        Assert.Contains("[0] [kafkaml] exited (exit code 137", await _runner.GetLogAsync("kafkaml-infer-2", 100, default));
    }

    [LinuxFact]
    public async Task A_training_job_that_said_it_resumes_is_started_again_when_killed_with_SIGKILL()
    {
        await _runner.StartAsync(Training("kafkaml-train-8", Broker), default);
        var pid = await RunningPidAsync("kafkaml-train-8", 0);
        await File.WriteAllTextAsync(Path.Combine(_runner.JobDirectory("kafkaml-train-8"), "resumable"), "as an incremental training job writes it");

        using (var process = Process.GetProcessById(pid)) process.Kill();

        await Eventually.Until(() => _runner.GetReplicas("kafkaml-train-8")[0] is { Restarts: 1, ProcessId: { } next } && next != pid,
            "the training job to run again in a new process");
        Assert.NotEqual(JobPhase.Failed, (await _runner.GetStateAsync("kafkaml-train-8", default)).Phase);
        Assert.Contains("[kafkaml] exited (exit code 137 (SIGKILL", await _runner.GetLogAsync("kafkaml-train-8", 100, default));
    }

    [LinuxFact]
    public async Task A_killed_training_job_that_did_not_say_it_resumes_fails()
    {
        await _runner.StartAsync(Training("kafkaml-train-9", Broker), default);
        var pid = await RunningPidAsync("kafkaml-train-9", 0);

        using (var process = Process.GetProcessById(pid)) process.Kill();

        var state = await FinishedAsync("kafkaml-train-9");
        Assert.Equal(JobPhase.Failed, state.Phase);
        Assert.Equal(137, state.ExitCode);
    }

    [Fact]
    public async Task Each_job_captures_its_output_in_its_own_replica_log_file_and_in_its_log_tail()
    {
        await _runner.StartAsync(Training("kafkaml-train-6", Help), default);
        await _runner.StartAsync(Training("kafkaml-train-7", FailingHealthcheck), default);
        await FinishedAsync("kafkaml-train-6");
        await FinishedAsync("kafkaml-train-7");

        var helpFile = await File.ReadAllTextAsync(Path.Combine(_runner.JobDirectory("kafkaml-train-6"), "replica-0.log"));
        var healthFile = await File.ReadAllTextAsync(Path.Combine(_runner.JobDirectory("kafkaml-train-7"), "replica-0.log"));
        Assert.Contains("usage: KafkaMl.Web", helpFile);
        Assert.DoesNotContain("127.0.0.1:1", helpFile);
        Assert.Contains("http://127.0.0.1:1/: ", healthFile);
        Assert.DoesNotContain("usage: KafkaMl.Web", healthFile);
        Assert.Equal("[kafkaml] finished (exit code 0)\n", await _runner.GetLogAsync("kafkaml-train-6", 1, default));
        Assert.Contains("usage: KafkaMl.Web", await _runner.GetLogAsync("kafkaml-train-6", 100, default));
    }

    [Fact]
    public async Task A_job_name_that_is_not_a_DNS_label_is_refused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _runner.StartAsync(Training("../escape", Help), default));

        Assert.Contains("../escape", error.Message);
        Assert.Empty(Directory.GetDirectories(_runner.JobsDirectory));
    }

    [Fact]
    public async Task Only_inference_services_scale()
    {
        await _runner.StartAsync(Training("kafkaml-train-13", Help), default);

        await Assert.ThrowsAsync<InvalidOperationException>(() => _runner.ScaleAsync("kafkaml-train-13", 2, default));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _runner.ScaleAsync("kafkaml-infer-404", 2, default));
    }

    [Fact]
    public async Task A_job_the_runner_does_not_know_reads_as_Unknown_without_a_log()
    {
        Assert.Equal(new JobState(JobPhase.Unknown), await _runner.GetStateAsync("kafkaml-train-404", default));
        Assert.Null(await _runner.GetLogAsync("kafkaml-train-404", 10, default));
    }
}
