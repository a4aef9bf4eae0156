using System.Diagnostics;
using KafkaMl.Core;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Orchestration.Local;
using KafkaMl.Tests.Support;
using KafkaMl.Web.Cli;
using Microsoft.Extensions.Options;

namespace KafkaMl.Tests.Runners;

/// <summary>
/// The local runner starting real child processes of the KafkaMl executable (<c>dotnet KafkaMl.Web.dll &lt;verb&gt;</c>):
/// <c>help</c> exits 0, <c>healthcheck http://127.0.0.1:1/</c> exits 1 with a message on stderr, and
/// <c>broker --port 0</c> runs until it is stopped.
/// </summary>
public sealed class LocalJobRunnerSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly string[] Broker = ["broker", "--port", "0"];
    private static readonly string[] Help = ["help"];
    private static readonly string[] FailingHealthcheck = ["healthcheck", "http://127.0.0.1:1/"];

    private readonly string _dataDir = Directory.CreateTempSubdirectory("kafkaml-runner-").FullName;
    private readonly CapturedLogs _logs = new();
    private LocalJobRunner _runner = null!;

    public Task InitializeAsync()
    {
        _runner = NewRunner();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _runner.DisposeAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

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
        var announced = await exited.Task.WaitAsync(Patience);

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
        await Eventually(async () => (await _runner.GetStateAsync("kafkaml-infer-1", default)).ReadyReplicas == 3, "3 ready replicas");

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

        await Eventually(() => Task.FromResult(_runner.GetReplicas("kafkaml-infer-2")[0] is { Restarts: 1, ProcessId: { } next } && next != pid),
            "the replica to run again in a new process");
        Assert.Equal(JobPhase.Running, (await _runner.GetStateAsync("kafkaml-infer-2", default)).Phase);
        lock (exits) Assert.Equal(0, Assert.Single(exits).Replica);
        Assert.Contains("[0] [kafkaml] exited (exit code 137", await _runner.GetLogAsync("kafkaml-infer-2", 100, default));
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

    [LinuxFact]
    public async Task The_portals_own_secret_variables_are_not_inherited_by_a_child()
    {
        const string portalSecret = "KafkaMlTests__Portal__ClientSecret";
        Environment.SetEnvironmentVariable(portalSecret, "portal-only");
        try
        {
            await _runner.StartAsync(Training("kafkaml-train-14", Broker), default);
            var environ = Environ(await RunningPidAsync("kafkaml-train-14", 0));

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
        var spec = Training("kafkaml-train-8", Broker) with
        {
            Environment = new Dictionary<string, string>
            {
                [JobEnvironment.TokenVariable] = token,
                [JobEnvironment.PortalUrlVariable] = "http://127.0.0.1:5080",
            },
        };

        await _runner.StartAsync(spec, default);
        var environ = Environ(await RunningPidAsync("kafkaml-train-8", 0));
        await _runner.StopAsync("kafkaml-train-8", default);

        Assert.Equal(token, environ[JobEnvironment.TokenVariable]);
        Assert.Equal("http://127.0.0.1:5080", environ[JobEnvironment.PortalUrlVariable]);
        Assert.Equal("kafkaml-train-8", environ[LocalJobRunner.JobNameVariable]);
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), environ.GetValueOrDefault("PATH")); // inherited
        Assert.Contains(_logs.Entries, e => e.Contains("kafkaml-train-8", StringComparison.Ordinal));
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
        var sleeper = await EventuallyAsync(() => Task.FromResult(ChildrenOf(shell).FirstOrDefault()), pid => pid != 0, "the shell to start sleep");

        await runner.StopAsync("kafkaml-train-10", default).WaitAsync(Patience);

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
        await Eventually(() => Task.FromResult(HasEnded(lost)), "replica 1 to end");

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

        await Eventually(() => Task.FromResult(HasEnded(orphan)), "the orphan to be killed");
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
        await Eventually(() => Task.FromResult(SessionOf(pid) == pid), "the replica to lead a session of its own");
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
            sleepers.Add(await EventuallyAsync(() => Task.FromResult(ChildrenOf(shell).FirstOrDefault()), pid => pid != 0, "the shell to start sleep"));

        await runner.DisposeAsync();

        // SIGTERM ends each shell at once; the sleep it started must not outlive it.
        Assert.All(shells.Concat(sleepers), pid => Assert.True(HasEnded(pid), $"process {pid} still runs"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => runner.StartAsync(Training("kafkaml-train-12", ["-c", "true"]), default));
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

    private LocalJobRunner NewRunner(Action<LocalJobRunnerOptions>? configure = null)
    {
        var options = new LocalJobRunnerOptions
        {
            ExecutablePath = KafkaMlProcess.WebDllPath,
            RestartBackoff = TimeSpan.FromMilliseconds(200),
            MaxRestartBackoff = TimeSpan.FromSeconds(1),
        };
        configure?.Invoke(options);
        return new LocalJobRunner(Options.Create(options), Options.Create(new KafkaMlOptions { DataDir = _dataDir }), _logs.For<LocalJobRunner>());
    }

    private static JobSpec Training(string name, IReadOnlyList<string> arguments) =>
        new(name, JobKind.Training, arguments, new Dictionary<string, string>());

    private static JobSpec Inference(string name, IReadOnlyList<string> arguments, int replicas) =>
        new(name, JobKind.Inference, arguments, new Dictionary<string, string>(), Replicas: replicas);

    private async Task<JobState> FinishedAsync(string name, LocalJobRunner? runner = null)
    {
        runner ??= _runner;
        return await EventuallyAsync(() => runner.GetStateAsync(name, default),
            state => state.Phase is JobPhase.Succeeded or JobPhase.Failed, $"job {name} to finish");
    }

    private async Task<int> RunningPidAsync(string name, int replica, LocalJobRunner? runner = null)
    {
        runner ??= _runner;
        var pid = await EventuallyAsync(
            () => Task.FromResult(runner.GetReplicas(name).FirstOrDefault(r => r.Index == replica)?.ProcessId),
            found => found is not null, $"replica {replica} of {name} to run");
        return pid!.Value;
    }

    private Task LogContainsAsync(string name, string text) =>
        EventuallyAsync(() => _runner.GetLogAsync(name, 1000, default),
            log => log?.Contains(text, StringComparison.Ordinal) == true, $"'{text}' in the log of {name}");

    private static Task Eventually(Func<Task<bool>> condition, string what) =>
        EventuallyAsync(condition, done => done, what);

    /// <summary>Probes until <paramref name="done"/> accepts the value, for at most <see cref="Patience"/>.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        using var deadline = new CancellationTokenSource(Patience);
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (deadline.IsCancellationRequested) throw new TimeoutException($"Timed out after {Patience} waiting for {what}; last saw {value}");
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>True once no process has the id (the runner reaps its children, so no zombie lingers).</summary>
    private static bool HasEnded(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited) return true;
            // A zombie (exited, not yet reaped) counts as ended.
            return OperatingSystem.IsLinux() && File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1].StartsWith('Z');
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            return true;
        }
    }

    /// <summary>The session id of a process (<c>/proc/&lt;pid&gt;/stat</c>, field 6).</summary>
    private static int SessionOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3]);
    }

    private static Dictionary<string, string> Environ(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0])
            .ToDictionary(g => g.Key, g => g.First()[1]);

    /// <summary>Ids of this test process's running children that run job <paramref name="name"/>.</summary>
    private static IEnumerable<int> ProcessesOfJob(string name) =>
        ChildrenOf(Environment.ProcessId).Where(pid =>
        {
            try
            {
                return !HasEnded(pid) && Environ(pid).GetValueOrDefault(LocalJobRunner.JobNameVariable) == name;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        });

    private static IEnumerable<int> ChildrenOf(int parent)
    {
        if (!OperatingSystem.IsLinux()) return [];
        var children = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) == parent) children.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Gone meanwhile.
            }
        }
        return children;
    }
}
