using System.Reflection;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>
/// The <c>KafkaMl:Local</c> section: how <see cref="LocalJobRunner"/> starts, logs, restarts and stops the child
/// processes that run jobs. Every member has a default that suits a single machine. Children inherit the portal's
/// environment except its secret variables (<see cref="JobRunnerOptions.IsSecretVariable"/>), then get the spec's.
/// </summary>
public sealed class LocalJobRunnerOptions : JobRunnerOptions
{
    public const string Section = "KafkaMl:Local";

    /// <summary>
    /// The program each replica runs: the KafkaMl executable's <c>KafkaMl.Web.dll</c> (started with
    /// <see cref="DotnetPath"/>), its apphost, or any other program (e.g. <c>/bin/sh</c>). Empty = this process's own
    /// executable (<see cref="ResolveExecutable"/>).
    /// </summary>
    public string? ExecutablePath { get; set; }

    /// <summary>The <c>dotnet</c> host that runs a <c>.dll</c> <see cref="ExecutablePath"/>; empty = the one running this process.</summary>
    public string? DotnetPath { get; set; }

    /// <summary>Where each job gets its working directory and logs (<c>&lt;JobsDirectory&gt;/&lt;name&gt;/</c>); empty = <c>&lt;DataDir&gt;/jobs</c>.</summary>
    public string? JobsDirectory { get; set; }

    /// <summary>
    /// Leave jobs running when the portal shuts down (a planned restart or an upgrade); the next portal process over the same
    /// data directory adopts them. Off: shutting down stops them (a portal that crashes or is killed leaves them running
    /// either way, and the next one adopts them).
    /// </summary>
    public bool KeepJobsOnShutdown { get; set; }

    /// <summary>
    /// The scheduling priority of training replicas (<c>BelowNormal</c> = nice 10 on Linux): training uses every core it
    /// gets, and below the portal it cannot starve the pages and APIs. <c>Normal</c> leaves them at the portal's priority.
    /// Inference replicas always run at the portal's priority (their latency matters).
    /// </summary>
    public System.Diagnostics.ProcessPriorityClass TrainingPriority { get; set; } = System.Diagnostics.ProcessPriorityClass.BelowNormal;

    /// <summary>How long a stopped replica may take to exit after SIGTERM before its process tree is killed.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Size at which <c>replica-&lt;n&gt;.log</c> is rotated to <c>replica-&lt;n&gt;.log.1</c> (one old file is kept).</summary>
    public long LogFileMaxBytes { get; set; } = 10L << 20;

    /// <summary>Output lines kept in memory per job for <see cref="IJobRunner.GetLogAsync"/>.</summary>
    public int LogBufferLines { get; set; } = 2000;

    /// <summary>Last standard-error lines quoted in a failed job's reason.</summary>
    public int FailureReasonLines { get; set; } = 5;

    /// <summary>First delay before an exited inference replica is started again; doubled on each consecutive crash.</summary>
    public TimeSpan RestartBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between restarts of a crashing inference replica.</summary>
    public TimeSpan MaxRestartBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Times a training job killed by SIGKILL (out of memory, or killed) is started again, after the same backoff as
    /// an inference replica, when it said it can resume (<see cref="JobEnvironment.ResumableMarkerVariable"/>: an
    /// incremental training resumes from its committed offsets and last model version). 0 never restarts one. Any
    /// other exit of a training job, and any exit of a bounded one, is its outcome.
    /// </summary>
    public int TrainingRestarts { get; set; } = 3;

    /// <summary>A replica that ran this long before it exited starts again after <see cref="RestartBackoff"/>, not a longer delay.</summary>
    public TimeSpan BackoffResetAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The program and the arguments that precede a job's own arguments, as <see cref="LocalJobRunner"/> starts them.</summary>
    public (string FileName, IReadOnlyList<string> LeadingArguments) ResolveExecutable()
    {
        var executable = string.IsNullOrWhiteSpace(ExecutablePath) ? CurrentExecutable() : ExecutablePath;
        if (!executable.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return (executable, []);
        var dotnet = !string.IsNullOrWhiteSpace(DotnetPath) ? DotnetPath : DotnetHost();
        return (dotnet, [executable]);
    }

    /// <summary>
    /// This process's own executable: its apphost when it was started as one, else its entry assembly (a <c>.dll</c>
    /// the <c>dotnet</c> host runs).
    /// </summary>
    public static string CurrentExecutable()
    {
        var processPath = Environment.ProcessPath;
        if (processPath is not null && !IsDotnetHost(processPath)) return processPath;
        var entry = Assembly.GetEntryAssembly()?.Location;
        return string.IsNullOrEmpty(entry)
            ? throw new InvalidOperationException($"Cannot tell which executable runs this process; set {Section}:{nameof(ExecutablePath)}.")
            : entry;
    }

    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } current && IsDotnetHost(current)) return current;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
        var root = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var beside = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(beside) ? beside : "dotnet";
    }

    private static bool IsDotnetHost(string path) =>
        Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
}
