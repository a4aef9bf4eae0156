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
/// <para>Children belong to the portal: <see cref="DisposeAsync"/> (the host shutting down) stops them all, and a runner
/// starting over the same data directory kills replicas a crashed portal left behind (it finds them by their pid
/// files). The portal's reconcile job then sees <see cref="JobPhase.Unknown"/> for them and marks them failed.</para>
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
        KillLeftovers();
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
        _logger.LogInformation("Started {Kind} job {Name} with {Replicas} replica(s) in {Directory}", spec.Kind, spec.Name, spec.Replicas, directory);
    }

    public async Task StopAsync(string name, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(name, cancellationToken);
        if (!_jobs.TryGetValue(name, out var job)) return;
        _logger.LogInformation("Stopping job {Name}", name);
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

    /// <summary>Stops every job (SIGTERM, then a kill after the grace period); the portal's children end with it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var jobs = _jobs.Values.ToList();
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
        KubernetesNames.EnsureJobName(spec.Name, nameof(spec));
        if (spec.Arguments.Count == 0 || string.IsNullOrWhiteSpace(spec.Arguments[0]))
            throw new ArgumentException($"Job {spec.Name} names no verb; its first argument must be one.", nameof(spec));
        if (spec.Kind == JobKind.Training && spec.Replicas != 1)
            throw new ArgumentException($"A training job runs exactly one replica; job {spec.Name} asks for {spec.Replicas}.", nameof(spec));
        if (spec.Replicas < 0)
            throw new ArgumentException($"Job {spec.Name} asks for {spec.Replicas} replicas.", nameof(spec));
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
    /// Kills replicas that a previous portal process left running (it crashed or was killed before it could stop
    /// them): their pid files survive in the job directories. A pid is only trusted together with the process's start
    /// time, so a later process that reuses the id is never touched.
    /// </summary>
    private void KillLeftovers()
    {
        if (!OperatingSystem.IsLinux()) return;
        foreach (var pidFile in Directory.EnumerateFiles(JobsDirectory, "replica-*.pid", SearchOption.AllDirectories))
        {
            try
            {
                var parts = File.ReadAllText(pidFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (parts.Length == 2
                    && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                    && ProcessSignals.StartTicks(pid) == ticks)
                {
                    using var process = Process.GetProcessById(pid);
                    ProcessSignals.KillTree(process);
                    _logger.LogWarning("Killed {PidFile}'s process {Pid}, left running by a previous portal process",
                        Path.GetRelativePath(JobsDirectory, pidFile), pid);
                }
                File.Delete(pidFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                _logger.LogDebug("Could not clean up {PidFile}: {Error}", pidFile, e.Message);
            }
        }
    }
}
