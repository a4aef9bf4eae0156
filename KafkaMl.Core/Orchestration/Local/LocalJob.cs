using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>
/// One workload of <see cref="LocalJobRunner"/>: its replicas, each a child process watched by a supervision task that
/// records how it ended and starts it again with backoff, as a Deployment would: any inference replica that exited, a
/// training job only when it was killed (SIGKILL).
/// </summary>
internal sealed class LocalJob : IDisposable
{
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AdoptedExitPoll = TimeSpan.FromMilliseconds(500);
    /// <summary>The exit code of an adopted replica, which is not this process's child: unknown.</summary>
    private const int UnknownExitCode = int.MinValue;

    private readonly object _gate = new();
    private readonly LocalJobRunnerOptions _options;
    private readonly ILogger _logger;
    private readonly Action<LocalJob, int, int, JobState> _exited;
    private readonly SortedDictionary<int, LocalReplica> _replicas = [];
    private JobState? _outcome;
    private volatile bool _detached;

    public LocalJob(JobSpec spec, string directory, LocalJobRunnerOptions options, ILogger logger, Action<LocalJob, int, int, JobState> exited)
    {
        Spec = spec;
        Directory = directory;
        _options = options;
        _logger = logger;
        _exited = exited;
        Log = new JobLog(directory, options.LogFileMaxBytes, options.LogBufferLines, prefixReplica: spec.Kind == JobKind.Inference);
    }

    public JobSpec Spec { get; }

    public string Name => Spec.Name;

    /// <summary>The job's working directory, which also holds its logs and pid files.</summary>
    public string Directory { get; }

    public JobLog Log { get; }

    public int ReplicaCount
    {
        get { lock (_gate) return _replicas.Count; }
    }

    public static string PidFileName(int replica) => $"replica-{replica.ToString(CultureInfo.InvariantCulture)}.pid";

    /// <summary>Starts replica <paramref name="index"/>; throws when its process cannot be started.</summary>
    public void StartReplica(int index)
    {
        var replica = new LocalReplica(index, _options.FailureReasonLines);
        var run = Launch(replica) ?? throw new InvalidOperationException($"Replica {index} of job {Name} was stopped while starting.");
        lock (_gate) _replicas[index] = replica;
        Supervise(replica, run);
    }

    private void Supervise(LocalReplica replica, ReplicaRun run)
    {
        replica.Supervision = Task.Run(async () =>
        {
            try
            {
                await SuperviseAsync(replica, run);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Supervision of job {Name} replica {Replica} failed", Name, replica.Index);
            }
        });
    }

    /// <summary>
    /// Takes over replica <paramref name="index"/>'s process, left running by an earlier portal process (identified by
    /// its id and start time): watched until it ends, then handled as if this runner had started it, except that its
    /// exit code is unknown. Its output went to the earlier portal and is not captured from here on.
    /// </summary>
    public void AdoptReplica(int index, int pid, long startTicks)
    {
        var replica = new LocalReplica(index, _options.FailureReasonLines);
        var process = Process.GetProcessById(pid);
        lock (replica.Gate)
        {
            replica.Process = process;
            replica.StartedAt = DateTimeOffset.UtcNow;
        }
        lock (_gate) _replicas[index] = replica;
        Log.Note(index, $"adopted after a portal restart (pid {pid.ToString(CultureInfo.InvariantCulture)}); its output since the restart is not captured");
        _logger.LogInformation("Adopted {Kind} job {Name} replica {Replica} (pid {Pid}) left running by an earlier portal process", Spec.Kind, Name, index, pid);
        Supervise(replica, new ReplicaRun(process, Task.CompletedTask, Stopwatch.StartNew(), startTicks));
    }

    /// <summary>Lets go of the replicas without stopping them (the portal shuts down; the next one adopts them).</summary>
    public void Detach() => _detached = true;

    /// <summary>Grows or shrinks an inference service to <paramref name="replicas"/>: new indices start, the highest stop.</summary>
    public async Task ScaleAsync(int replicas)
    {
        List<LocalReplica> surplus;
        int current;
        lock (_gate)
        {
            current = _replicas.Count;
            surplus = _replicas.Values.Where(r => r.Index >= replicas).ToList();
            foreach (var replica in surplus) _replicas.Remove(replica.Index);
        }
        for (var index = current; index < replicas; index++) StartReplica(index);
        await Task.WhenAll(surplus.Select(StopReplicaAsync));
    }

    /// <summary>Stops every replica: SIGTERM, then the process tree is killed after the grace period.</summary>
    public async Task StopAsync()
    {
        List<LocalReplica> all;
        lock (_gate) all = [.. _replicas.Values];
        await Task.WhenAll(all.Select(StopReplicaAsync));
        lock (_gate) _replicas.Clear();
    }

    public JobState State()
    {
        lock (_gate)
        {
            if (_outcome is not null) return _outcome;
            var desired = _replicas.Count;
            var ready = _replicas.Values.Count(r => r.IsRunning);
            if (Spec.Kind == JobKind.Training)
                return ready > 0 ? new JobState(JobPhase.Running, ReadyReplicas: 1) : new JobState(JobPhase.Pending, "starting");
            if (desired == 0) return new JobState(JobPhase.Pending, "scaled to zero replicas");
            var reason = ready < desired
                ? _replicas.Values.Where(r => !r.IsRunning).Select(r => r.LastExit).LastOrDefault(e => e is not null) ?? "starting"
                : null;
            return new JobState(ready > 0 ? JobPhase.Running : JobPhase.Pending, reason, ready);
        }
    }

    public IReadOnlyList<LocalReplicaInfo> Replicas()
    {
        lock (_gate) return _replicas.Values.Select(r => r.Info()).ToList();
    }

    public void Dispose() => Log.Dispose();

    private async Task SuperviseAsync(LocalReplica replica, ReplicaRun run)
    {
        var backoff = _options.RestartBackoff;
        while (true)
        {
            var exitCode = await WaitForEndAsync(replica, run);
            if (_detached) return; // the portal is going; the next one judges how it ended
            if (replica.Stopping.IsCancellationRequested)
            {
                Log.Note(replica.Index, $"stopped ({ProcessSignals.DescribeExitCode(exitCode)})");
                Log.Close(replica.Index);
                return;
            }

            var exit = exitCode == UnknownExitCode ? "an unknown exit code (adopted after a portal restart)" : ProcessSignals.DescribeExitCode(exitCode);
            if (Spec.Kind == JobKind.Training && !RestartsKilledTraining(exitCode, replica))
            {
                var outcome = exitCode == 0
                    ? new JobState(JobPhase.Succeeded, ExitCode: 0)
                    : new JobState(JobPhase.Failed, FailureReason(exit, replica), ExitCode: exitCode);
                lock (_gate) _outcome = outcome;
                Log.Note(replica.Index, exitCode == 0 ? "finished (exit code 0)" : $"failed ({exit})");
                Log.Close(replica.Index);
                _logger.LogInformation("Training job {Name} ended with {Exit}", Name, exit);
                _exited(this, replica.Index, exitCode, outcome);
                return;
            }

            // Inference: any exit is a crash (a Deployment restarts on exit 0 too); training: a kill (RestartsKilledTraining).
            if (run.Elapsed >= _options.BackoffResetAfter) backoff = _options.RestartBackoff;
            replica.LastExit = $"replica {replica.Index.ToString(CultureInfo.InvariantCulture)} {FailureReason(exit, replica)}";
            Log.Note(replica.Index, $"exited ({exit}); restarting in {ReplicaProcess.Describe(backoff)}");
            _logger.LogWarning("{Kind} job {Name} replica {Replica} exited with {Exit}; restarting in {Backoff}", Spec.Kind, Name, replica.Index, exit, backoff);
            _exited(this, replica.Index, exitCode, State());

            while (true)
            {
                try
                {
                    await Task.Delay(backoff, replica.Stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    Log.Close(replica.Index);
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Math.Max(_options.MaxRestartBackoff.Ticks, _options.RestartBackoff.Ticks)));
                try
                {
                    var next = Launch(replica);
                    if (next is null)
                    {
                        Log.Close(replica.Index);
                        return;
                    }
                    run = next;
                    replica.Restarts++;
                    break;
                }
                catch (Exception e) when (IsStartFailure(e))
                {
                    replica.LastExit = $"replica {replica.Index.ToString(CultureInfo.InvariantCulture)} could not start: {e.Message}";
                    Log.Note(replica.Index, $"could not start ({e.Message}); retrying in {ReplicaProcess.Describe(backoff)}");
                    _logger.LogWarning("{Kind} job {Name} replica {Replica} could not start: {Error}", Spec.Kind, Name, replica.Index, e.Message);
                }
            }
        }
    }

    /// <summary>A training job killed by SIGKILL that said it can resume is started again, up to <see cref="LocalJobRunnerOptions.TrainingRestarts"/> times.</summary>
    private bool RestartsKilledTraining(int exitCode, LocalReplica replica) =>
        ProcessSignals.IsKill(exitCode) && replica.Restarts < _options.TrainingRestarts && File.Exists(ReplicaProcess.ResumableMarker(Directory));

    /// <summary>Starts the replica's process unless it is being stopped (null then); throws when it cannot start.</summary>
    private ReplicaRun? Launch(LocalReplica replica)
    {
        var (info, fileName) = ReplicaProcess.StartInfo(Spec, _options, Directory, replica.Index);

        lock (replica.Gate)
        {
            if (replica.Stopping.IsCancellationRequested) return null;
            replica.ClearRecent();
            var process = new Process { StartInfo = info };
            try
            {
                if (!process.Start()) throw new InvalidOperationException($"{fileName} did not start.");
            }
            catch
            {
                process.Dispose();
                throw;
            }
            process.StandardInput.Close(); // a job reads nothing from its parent
            if (Spec.Kind == JobKind.Training) Deprioritise(process);
            replica.Process = process;
            replica.StartedAt = DateTimeOffset.UtcNow;
            WritePidFile(replica.Index, process.Id);
            Log.Note(replica.Index, $"started {Spec.Arguments.FirstOrDefault() ?? ""} (pid {process.Id.ToString(CultureInfo.InvariantCulture)})");
            // Read only after the note, so the log shows the start before the output.
            var output = Task.WhenAll(PumpAsync(replica, process.StandardOutput, isError: false), PumpAsync(replica, process.StandardError, isError: true));
            _logger.LogInformation("Started {Kind} job {Name} replica {Replica} (pid {Pid}, verb {Verb})", Spec.Kind, Name, replica.Index, process.Id, Spec.Arguments.FirstOrDefault());
            return new ReplicaRun(process, output, Stopwatch.StartNew());
        }
    }

    /// <summary>Waits for the process to exit and its output to drain; returns its exit code.</summary>
    private async Task<int> WaitForEndAsync(LocalReplica replica, ReplicaRun run)
    {
        if (run.AdoptedStartTicks is { } ticks)
        {
            // Not this process's child: no exit status to wait for, only its disappearance.
            while (ProcessSignals.StartTicks(run.Process.Id) == ticks) await Task.Delay(AdoptedExitPoll);
            return Ended(replica, run, UnknownExitCode, recorded: null);
        }
        await run.Process.WaitForExitAsync(CancellationToken.None);
        try
        {
            await run.Output.WaitAsync(OutputDrainLimit);
        }
        catch (TimeoutException)
        {
            // A descendant still holds the pipes open; what it writes later is not this run's.
        }
        var exitCode = run.Process.ExitCode;
        return Ended(replica, run, exitCode, recorded: exitCode);
    }

    /// <summary>Records that the replica's process ended (<paramref name="recorded"/>: the exit code it shows, if known) and lets go of it.</summary>
    private int Ended(LocalReplica replica, ReplicaRun run, int exitCode, int? recorded)
    {
        lock (replica.Gate)
        {
            replica.Process = null;
            replica.LastExitCode = recorded;
        }
        DeletePidFile(replica.Index);
        run.Process.Dispose();
        return exitCode;
    }

    /// <summary>
    /// Training takes every core it is given for as long as it runs; below the portal's priority it still gets the idle
    /// CPU, but the portal's pages and the inference replicas stay responsive (bench portal: see the README).
    /// </summary>
    private void Deprioritise(Process process)
    {
        if (_options.TrainingPriority == ProcessPriorityClass.Normal) return;
        try
        {
            process.PriorityClass = _options.TrainingPriority;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            _logger.LogDebug("Could not lower the priority of job {Name}: {Error}", Name, e.Message);
        }
    }

    private async Task StopReplicaAsync(LocalReplica replica)
    {
        Process? process;
        var pid = 0;
        lock (replica.Gate)
        {
            replica.Stopping.Cancel();
            process = replica.Process;
            if (process is not null) pid = process.Id; // not yet disposed: its supervisor clears Process under this lock first
        }
        if (process is not null && !ReplicaProcess.HasExited(process))
        {
            _logger.LogInformation("Stopping job {Name} replica {Replica} (pid {Pid})", Name, replica.Index, pid);
            // What the replica started goes with it, as a pod's processes go with its container.
            var descendants = ProcessSignals.Descendants(pid);
            if (!await ProcessSignals.StopAsync(process, _options.StopGracePeriod))
                _logger.LogWarning("Job {Name} replica {Replica} did not stop within {Grace}; killed its process tree", Name, replica.Index, _options.StopGracePeriod);
            if (ProcessSignals.KillSurvivors(descendants) is > 0 and var survivors)
                _logger.LogInformation("Killed {Count} process(es) that job {Name} replica {Replica} left behind", survivors, Name, replica.Index);
        }
        try
        {
            await replica.Supervision.WaitAsync(_options.StopGracePeriod + OutputDrainLimit + TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Job {Name} replica {Replica} did not end after being killed", Name, replica.Index);
        }
    }

    private async Task PumpAsync(LocalReplica replica, StreamReader reader, bool isError)
    {
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                Log.Append(replica.Index, line);
                replica.Remember(line, isError);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe closed under us.
        }
    }

    private string FailureReason(string exit, LocalReplica replica)
    {
        var lines = replica.RecentLines();
        return lines.Count == 0 ? exit : $"{exit}: {string.Join(" | ", lines)}";
    }

    private void WritePidFile(int replica, int pid)
    {
        try
        {
            var ticks = ProcessSignals.StartTicks(pid);
            File.WriteAllText(Path.Combine(Directory, PidFileName(replica)),
                $"{pid.ToString(CultureInfo.InvariantCulture)} {ticks?.ToString(CultureInfo.InvariantCulture) ?? "-"}\n");
        }
        catch (IOException e)
        {
            _logger.LogWarning("Could not write the pid file of job {Name} replica {Replica}: {Error}", Name, replica, e.Message);
        }
    }

    private void DeletePidFile(int replica)
    {
        try
        {
            File.Delete(Path.Combine(Directory, PidFileName(replica)));
        }
        catch (IOException)
        {
            // Left for the next start-up's clean-up to judge.
        }
    }

    internal static bool IsStartFailure(Exception e) =>
        e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException or UnauthorizedAccessException;

}
