using System.Diagnostics;
using KafkaMl.Core.Orchestration.Local;

namespace KafkaMl.Tests.Orchestration.Local;

/// <summary>
/// The local runner's processes as Linux sees them: inherited secrets and environment, log rotation, SIGTERM and the
/// process tree, adoption by the next portal, sessions of their own, and the portal's shutdown.
/// </summary>
public sealed class LocalJobRunnerProcessSpecs : LocalJobRunnerSpecsBase
{
    [LinuxFact]
    public async Task The_portals_own_secret_variables_are_not_inherited_by_a_child()
    {
        const string portalSecret = "KafkaMlTests__Portal__ClientSecret";
        Environment.SetEnvironmentVariable(portalSecret, "portal-only");
        try
        {
            await _runner.StartAsync(Training("kafkaml-train-14", Broker), default);
            var environ = await ExecedEnvironAsync(await RunningPidAsync("kafkaml-train-14", 0));

            Assert.DoesNotContain(portalSecret, environ.Keys);
            Assert.Contains("PATH", environ.Keys);
        }
        finally
        {
            Environment.SetEnvironmentVariable(portalSecret, null);
        }
    }

    [LinuxFact]
    public async Task The_spec_environment_reaches_the_child_while_its_values_never_reach_the_runners_log()
    {
        const string token = "tok-7c4b1d-very-secret";
        var spec = Training("kafkaml-train-env", Broker) with
        {
            Environment = new Dictionary<string, string>
            {
                [JobEnvironment.TokenVariable] = token,
                [JobEnvironment.PortalUrlVariable] = "http://127.0.0.1:5080",
            },
        };

        await _runner.StartAsync(spec, default);
        var environ = await ExecedEnvironAsync(await RunningPidAsync("kafkaml-train-env", 0));
        await _runner.StopAsync("kafkaml-train-env", default);

        Assert.Equal(token, environ[JobEnvironment.TokenVariable]);
        Assert.Equal("http://127.0.0.1:5080", environ[JobEnvironment.PortalUrlVariable]);
        Assert.Equal("kafkaml-train-env", environ[LocalJobRunner.JobNameVariable]);
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), environ.GetValueOrDefault("PATH")); // inherited
        Assert.Contains(_logs.Entries, e => e.Contains("kafkaml-train-env", StringComparison.Ordinal));
        Assert.DoesNotContain(token, _logs.Text);
    }

    [LinuxFact]
    public async Task A_replica_log_file_is_rotated_at_its_size_cap()
    {
        await using var runner = NewRunner(o => { o.ExecutablePath = "/bin/sh"; o.LogFileMaxBytes = 4096; });
        await runner.StartAsync(Training("kafkaml-train-9", ["-c", "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo line-$i; done"]), default);
        await FinishedAsync("kafkaml-train-9", runner);

        var log = Path.Combine(runner.JobDirectory("kafkaml-train-9"), "replica-0.log");

        Assert.InRange(new FileInfo(log).Length, 1, 4096);
        Assert.InRange(new FileInfo(log + ".1").Length, 4096, 4096 + 64);
        Assert.Equal("line-2000\n[kafkaml] finished (exit code 0)\n", await runner.GetLogAsync("kafkaml-train-9", 2, default));
    }

    [LinuxFact]
    public async Task A_replica_that_ignores_SIGTERM_is_killed_with_its_process_tree_after_the_grace_period()
    {
        await using var runner = NewRunner(o => { o.ExecutablePath = "/bin/sh"; o.StopGracePeriod = TimeSpan.FromSeconds(1); });
        await runner.StartAsync(Training("kafkaml-train-10", ["-c", "trap '' TERM; sleep 300 & wait"]), default);
        var shell = await RunningPidAsync("kafkaml-train-10", 0, runner);
        var sleeper = await Eventually.Until(() => ChildrenOf(shell).FirstOrDefault(), pid => pid != 0, "the shell to start sleep");

        await runner.StopAsync("kafkaml-train-10", default).WaitAsync(Eventually.Patience);

        Assert.True(HasEnded(shell), "the shell still runs");
        Assert.True(HasEnded(sleeper), "its child still runs");
    }

    [LinuxFact]
    public async Task A_new_runner_adopts_a_training_replica_that_a_crashed_portal_left_running_and_sees_it_end()
    {
        var crashed = NewRunner(o => o.ExecutablePath = "/bin/sh");
        await crashed.StartAsync(Training("kafkaml-train-11", ["-c", "sleep 3"]), default);
        var orphan = await RunningPidAsync("kafkaml-train-11", 0, crashed);

        await using var restarted = NewRunner(o => o.ExecutablePath = "/bin/sh");

        Assert.Equal(orphan, Assert.Single(restarted.GetReplicas("kafkaml-train-11")).ProcessId);
        Assert.Equal(JobPhase.Running, (await restarted.GetStateAsync("kafkaml-train-11", default)).Phase);
        var ended = await FinishedAsync("kafkaml-train-11", restarted);
        Assert.Equal(JobPhase.Failed, ended.Phase);
        Assert.Contains("unknown exit code", ended.Reason);
        Assert.Contains("adopted after a portal restart", await restarted.GetLogAsync("kafkaml-train-11", 100, default));
        await crashed.DisposeAsync();
    }

    [LinuxFact]
    public async Task A_new_runner_adopts_the_running_replicas_of_an_inference_service_and_starts_the_missing_ones()
    {
        // A crashed portal restarts nothing: its runner never restarts a replica here.
        var crashed = NewRunner(o => { o.ExecutablePath = "/bin/sh"; o.RestartBackoff = o.MaxRestartBackoff = TimeSpan.FromHours(1); });
        await crashed.StartAsync(Inference("kafkaml-infer-4", ["-c", "sleep 300"], replicas: 2), default);
        var kept = await RunningPidAsync("kafkaml-infer-4", 0, crashed);
        var lost = await RunningPidAsync("kafkaml-infer-4", 1, crashed);
        using (var process = Process.GetProcessById(lost)) process.Kill();
        await Eventually.Until(() => HasEnded(lost), "replica 1 to end");

        await using var restarted = NewRunner(o => o.ExecutablePath = "/bin/sh");

        Assert.Equal(kept, await RunningPidAsync("kafkaml-infer-4", 0, restarted));
        var started = await RunningPidAsync("kafkaml-infer-4", 1, restarted);
        Assert.NotEqual(lost, started);
        await restarted.StopAsync("kafkaml-infer-4", default);
        Assert.True(HasEnded(kept) && HasEnded(started), "stopping the adopted service left a replica running");
        await crashed.DisposeAsync();
    }

    [LinuxFact]
    public async Task A_new_runner_kills_replicas_left_running_without_a_job_spec()
    {
        var crashed = NewRunner(o => o.ExecutablePath = "/bin/sh");
        await crashed.StartAsync(Training("kafkaml-train-13", ["-c", "sleep 300"]), default);
        var orphan = await RunningPidAsync("kafkaml-train-13", 0, crashed);
        File.Delete(Path.Combine(crashed.JobDirectory("kafkaml-train-13"), "job.json"));

        await using var restarted = NewRunner(o => o.ExecutablePath = "/bin/sh");

        await Eventually.Until(() => HasEnded(orphan), "the orphan to be killed");
        Assert.Equal(JobPhase.Unknown, (await restarted.GetStateAsync("kafkaml-train-13", default)).Phase);
        await crashed.DisposeAsync();
    }

    [LinuxFact]
    public async Task With_KeepJobsOnShutdown_a_runner_that_shuts_down_leaves_its_jobs_to_the_next_one()
    {
        var first = NewRunner(o => { o.ExecutablePath = "/bin/sh"; o.KeepJobsOnShutdown = true; });
        await first.StartAsync(Training("kafkaml-train-14", ["-c", "sleep 300"]), default);
        var pid = await RunningPidAsync("kafkaml-train-14", 0, first);

        await first.DisposeAsync();

        Assert.False(HasEnded(pid), "the job was stopped with the runner");
        await using var next = NewRunner(o => o.ExecutablePath = "/bin/sh");
        Assert.Equal(pid, await RunningPidAsync("kafkaml-train-14", 0, next));
        await next.StopAsync("kafkaml-train-14", default);
        Assert.True(HasEnded(pid), "the adopted job still runs after being stopped");
    }

    [LinuxFact]
    public async Task A_replica_runs_in_a_session_of_its_own_so_a_terminals_signals_to_the_portal_do_not_reach_it()
    {
        await using var runner = NewRunner(o => o.ExecutablePath = "/bin/sh");
        await runner.StartAsync(Training("kafkaml-train-15", ["-c", "sleep 300"]), default);
        var pid = await RunningPidAsync("kafkaml-train-15", 0, runner);

        // The pid is known from fork; setsid(2) runs a moment later, in the child, before it execs the replica.
        await Eventually.Until(() => SessionOf(pid) == pid, "the replica to lead a session of its own");
        Assert.NotEqual(SessionOf(Environment.ProcessId), SessionOf(pid));
        await runner.StopAsync("kafkaml-train-15", default);
    }

    [LinuxFact]
    public async Task Disposing_the_runner_stops_every_child_with_the_portal()
    {
        var runner = NewRunner(o => o.ExecutablePath = "/bin/sh");
        await runner.StartAsync(Inference("kafkaml-infer-3", ["-c", "sleep 300; true"], replicas: 2), default);
        var shells = new[] { await RunningPidAsync("kafkaml-infer-3", 0, runner), await RunningPidAsync("kafkaml-infer-3", 1, runner) };
        var sleepers = new List<int>();
        foreach (var shell in shells)
            sleepers.Add(await Eventually.Until(() => ChildrenOf(shell).FirstOrDefault(), pid => pid != 0, "the shell to start sleep"));

        await runner.DisposeAsync();

        // SIGTERM ends each shell at once; the sleep it started must not outlive it.
        Assert.All(shells.Concat(sleepers), pid => Assert.True(HasEnded(pid), $"process {pid} still runs"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => runner.StartAsync(Training("kafkaml-train-12", ["-c", "true"]), default));
    }
}
