using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using KafkaMl.Core.Orchestration.Kubernetes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>
/// Runs each replica of a job as a child process of the KafkaMl executable (<c>dotnet KafkaMl.Web.dll &lt;verb&gt; ...</c>
/// or its apphost), in <c>&lt;DataDir&gt;/jobs/&lt;name&gt;/</c>, with the inherited environment plus the spec's,
/// <c>KAFKAML_REPLICA</c> (the replica's index) and <c>KAFKAML_JOB_NAME</c>.
/// </summary>
/// <remarks>
/// <para>Output (stdout and stderr) goes to <c>replica-&lt;n&gt;.log</c> in the job's directory, rotated at
/// <see cref="LocalJobRunnerOptions.LogFileMaxBytes"/>, and to an in-memory tail that <see cref="GetLogAsync"/> reads;
/// once the job is stopped, or after a portal restart, the files answer instead.</para>
/// <para>Training replicas run to completion: exit 0 is <see cref="JobPhase.Succeeded"/>, any other exit
/// <see cref="JobPhase.Failed"/> with the exit code and the last standard-error lines as the reason; they are never
/// restarted. Inference replicas are restarted whenever they exit, after a doubling backoff, as a Deployment would.</para>
/// <para>Replicas outlive the portal process: each runs in a session of its own, and the runner keeps each job's spec
/// (<c>job.json</c>, owner-only) and each replica's pid and start time (<c>replica-&lt;n&gt;.pid</c>) in the job's
/// directory. A runner starting over the same data directory <b>adopts</b> the replicas an earlier portal left running
/// (crashed, killed, or shut down with <see cref="LocalJobRunnerOptions.KeepJobsOnShutdown"/>): a training job trains on
/// and reports to the new portal; an inference service keeps serving and gets back the replicas it is missing. Processes
/// left without a spec (an older runner's, or a stopped job's) are killed. Without that option,
/// <see cref="DisposeAsync"/> (the host shutting down) stops every replica; inference services are started again by the
/// next runner, training jobs are not (reconcile marks their results failed).</para>
/// <para>Values of the spec's environment may be secrets: they reach the child only, never a log.</para>
/// </remarks>
public sealed class LocalJobRunner : IJobRunner, IAsyncDisposable, IDisposable
{
    /// <summary>The environment variable that tells a replica its index (0, 1, ...).</summary>
    public const string ReplicaVariable = JobEnvironment.ReplicaVariable;

    /// <summary>The environment variable that tells a replica the name of its job.</summary>
    public const string JobNameVariable = JobEnvironment.JobNameVariable;

    private readonly ConcurrentDictionary<string, LocalJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly LocalJobRunnerOptions _options;
    private readonly ILogger<LocalJobRunner> _logger;
    private int _disposed;

    public LocalJobRunner(IOptions<LocalJobRunnerOptions> options, IOptions<KafkaMlOptions> kafkaMl, ILogger<LocalJobRunner>? logger = null)
    {
        _options = options.Value;
        _logger = logger ?? NullLogger<LocalJobRunner>.Instance;
        JobsDirectory = Path.GetFullPath(string.IsNullOrWhiteSpace(_options.JobsDirectory)
            ? Path.Combine(kafkaMl.Value.DataDirFullPath, "jobs")
            : _options.JobsDirectory);
        Directory.CreateDirectory(JobsDirectory);
        RecoverJobs();
    }

    /// <summary>A replica ended by itself: a training job finished, or an inference replica crashed (it is restarted).</summary>
    /// <remarks>Raised on a thread-pool thread; handlers must not block. An exception from a handler is logged and ignored.</remarks>
    public event EventHandler<JobExitedEventArgs>? JobExited;

    public string Kind => "local";

    /// <summary>The directory holding one sub-directory per job.</summary>
    public string JobsDirectory { get; }

    /// <summary>The working directory (and log directory) of job <paramref name="name"/>.</summary>
    public string JobDirectory(string name)
    {
        KubernetesNames.EnsureJobName(name);
        return Path.Combine(JobsDirectory, name);
    }

    public async Task StartAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        Validate(spec);
        using var held = await LockAsync(spec.Name, cancellationToken);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_jobs.ContainsKey(spec.Name))
        {
            _logger.LogDebug("Job {Name} already exists; nothing to start", spec.Name);
            return;
        }

        var directory = JobDirectory(spec.Name);
        Directory.CreateDirectory(directory);
        var job = new LocalJob(spec, directory, _options, _logger, OnExited);
        try
        {
            for (var index = 0; index < spec.Replicas; index++) job.StartReplica(index);
        }
        catch (Exception e) when (LocalJob.IsStartFailure(e))
        {
            await job.StopAsync();
            job.Dispose();
            var (fileName, _) = _options.ResolveExecutable();
            throw new InvalidOperationException($"Job {spec.Name} could not start {fileName}: {e.Message}", e);
        }
        _jobs[spec.Name] = job;
        LocalJobSpecFile.Write(directory, spec, _logger);
        _logger.LogInformation("Started {Kind} job {Name} with {Replicas} replica(s) in {Directory}", spec.Kind, spec.Name, spec.Replicas, directory);
    }

    public async Task StopAsync(string name, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(name, cancellationToken);
        if (!_jobs.TryGetValue(name, out var job)) return;
        _logger.LogInformation("Stopping job {Name}", name);
        LocalJobSpecFile.Delete(job.Directory); // stopped for good: no later runner brings it back
        await job.StopAsync();
        _jobs.TryRemove(name, out _);
        job.Dispose();
    }

    public async Task ScaleAsync(string name, int replicas, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        using var held = await LockAsync(name, cancellationToken);
        if (!_jobs.TryGetValue(name, out var job))
            throw new InvalidOperationException($"There is no job named {name} to scale.");
        if (job.Spec.Kind != JobKind.Inference)
            throw new InvalidOperationException($"Job {name} is a {job.Spec.Kind.ToString().ToLowerInvariant()} job; only inference services scale.");
        var from = job.ReplicaCount;
        if (from == replicas) return;
        await job.ScaleAsync(replicas);
        _logger.LogInformation("Scaled job {Name} from {From} to {To} replica(s)", name, from, replicas);
    }

    public Task<JobState> GetStateAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_jobs.TryGetValue(name, out var job) ? job.State() : new JobState(JobPhase.Unknown));

    public Task<string?> GetLogAsync(string name, int tailLines, CancellationToken cancellationToken)
    {
        if (_jobs.TryGetValue(name, out var job)) return Task.FromResult(job.Log.Tail(tailLines));
        return KubernetesNames.JobNameProblem(name) is null
            ? JobLog.TailFilesAsync(Path.Combine(JobsDirectory, name), tailLines, cancellationToken)
            : Task.FromResult<string?>(null);
    }

    /// <summary>The replicas of job <paramref name="name"/> (empty when there is no such job).</summary>
    public IReadOnlyList<LocalReplicaInfo> GetReplicas(string name) =>
        _jobs.TryGetValue(name, out var job) ? job.Replicas() : [];

    /// <summary>
    /// Stops every job (SIGTERM, then a kill after the grace period), or with <see cref="LocalJobRunnerOptions.KeepJobsOnShutdown"/>
    /// leaves them running for the next runner to adopt. Specs stay on disk either way.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var jobs = _jobs.Values.ToList();
        if (_options.KeepJobsOnShutdown)
        {
            if (jobs.Count > 0) _logger.LogInformation("Leaving {Count} local job(s) running for the next portal process to adopt", jobs.Count);
            foreach (var job in jobs)
            {
                job.Detach();
                job.Dispose();
            }
            _jobs.Clear();
            return;
        }
        if (jobs.Count > 0) _logger.LogInformation("Stopping {Count} local job(s) with the portal", jobs.Count);
        await Task.WhenAll(jobs.Select(async job =>
        {
            await job.StopAsync();
            job.Dispose();
        }));
        _jobs.Clear();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static void Validate(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.EnsureValid();
        foreach (var variable in spec.Environment.Keys)
        {
            if (string.IsNullOrEmpty(variable) || variable.Contains('=') || variable.Contains('\0'))
                throw new ArgumentException($"Job {spec.Name} has an invalid environment variable name '{variable}'.", nameof(spec));
        }
    }

    private void OnExited(LocalJob job, int replica, int exitCode, JobState state)
    {
        var handlers = JobExited;
        if (handlers is null) return;
        try
        {
            handlers(this, new JobExitedEventArgs(job.Name, replica, exitCode, state));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A JobExited handler failed for job {Name}", job.Name);
        }
    }

    private async Task<Releaser> LockAsync(string name, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    private readonly struct Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    /// <summary>
    /// Takes back the jobs an earlier portal process left in the jobs directory (see the remarks): adopts replicas that
    /// still run, restarts the missing replicas of inference services, and kills replicas of jobs without a spec. A pid is
    /// only trusted together with the process's start time, so a later process that reuses the id is never touched.
    /// </summary>
    private void RecoverJobs()
    {
        foreach (var directory in Directory.EnumerateDirectories(JobsDirectory))
        {
            var name = Path.GetFileName(directory);
            var live = LiveReplicas(directory);
            var spec = KubernetesNames.JobNameProblem(name) is null ? LocalJobSpecFile.Read(directory, _logger) : null;
            if (spec is null || spec.Name != name)
            {
                foreach (var (replica, pid, _) in live) KillLeftover(name, replica, pid);
                continue;
            }
            if (spec.Kind == JobKind.Training && live.Count == 0)
            {
                LocalJobSpecFile.Delete(directory); // ended while no portal watched; reconcile judges the result
                continue;
            }

            var job = new LocalJob(spec, directory, _options, _logger, OnExited);
            try
            {
                foreach (var (replica, pid, ticks) in live)
                {
                    if (replica < spec.Replicas) job.AdoptReplica(replica, pid, ticks);
                    else KillLeftover(name, replica, pid); // scaled down meanwhile
                }
                if (spec.Kind == JobKind.Inference)
                {
                    var adopted = live.Select(l => l.Replica).ToHashSet();
                    for (var replica = 0; replica < spec.Replicas; replica++)
                    {
                        if (!adopted.Contains(replica)) job.StartReplica(replica);
                    }
                }
            }
            catch (Exception e) when (LocalJob.IsStartFailure(e) || e is ArgumentException)
            {
                _logger.LogError("Could not take back job {Name} after a portal restart: {Error}", name, e.Message);
            }
            _jobs[name] = job;
            _logger.LogInformation("Took back {Kind} job {Name}: {Adopted} replica(s) still running adopted, {Replicas} wanted",
                spec.Kind, name, live.Count, spec.Replicas);
        }
    }

    /// <summary>The replicas of a job directory whose pid files name a process that still runs; stale pid files are removed.</summary>
    private List<(int Replica, int Pid, long StartTicks)> LiveReplicas(string directory)
    {
        var live = new List<(int, int, long)>();
        if (!OperatingSystem.IsLinux()) return live;
        foreach (var pidFile in Directory.EnumerateFiles(directory, "replica-*.pid"))
        {
            try
            {
                var parts = File.ReadAllText(pidFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var name = Path.GetFileNameWithoutExtension(pidFile);
                if (parts.Length == 2
                    && int.TryParse(name.AsSpan("replica-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var replica)
                    && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                    && ProcessSignals.StartTicks(pid) == ticks)
                {
                    live.Add((replica, pid, ticks));
                    continue;
                }
                File.Delete(pidFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _logger.LogDebug("Could not read {PidFile}: {Error}", pidFile, e.Message);
            }
        }
        return live;
    }

    private void KillLeftover(string job, int replica, int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            ProcessSignals.KillTree(process);
            _logger.LogWarning("Killed replica {Replica} of {Job} (pid {Pid}), left running by an earlier portal process without a job to belong to",
                replica, job, pid);
            File.Delete(Path.Combine(JobsDirectory, job, LocalJob.PidFileName(replica)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            _logger.LogDebug("Could not kill pid {Pid} of {Job}: {Error}", pid, job, e.Message);
        }
    }
}
