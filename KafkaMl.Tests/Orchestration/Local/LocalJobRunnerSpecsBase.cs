using System.Diagnostics;
using KafkaMl.Core.Orchestration.Local;
using KafkaMl.Core;
using KafkaMl.Web.Cli;

namespace KafkaMl.Tests.Orchestration.Local;

/// <summary>
/// The local runner starting real child processes of the KafkaMl executable (<c>dotnet KafkaMl.Web.dll &lt;verb&gt;</c>):
/// <c>help</c> exits 0, <c>healthcheck http://127.0.0.1:1/</c> exits 1 with a message on stderr, and
/// <c>broker --port 0</c> runs until it is stopped. The fixture of these specs: a runner over a temporary data directory with its logs captured, and the probes they use.
/// </summary>
public abstract class LocalJobRunnerSpecsBase : IAsyncLifetime
{
    protected static readonly string[] Broker = ["broker", "--port", "0"];
    protected static readonly string[] Help = ["help"];
    protected static readonly string[] FailingHealthcheck = ["healthcheck", "http://127.0.0.1:1/"];

    protected readonly string _dataDir = Directory.CreateTempSubdirectory("kafkaml-runner-").FullName;
    protected readonly CapturedLogs _logs = new();
    protected LocalJobRunner _runner = null!;

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

    protected LocalJobRunner NewRunner(Action<LocalJobRunnerOptions>? configure = null)
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

    protected static JobSpec Training(string name, IReadOnlyList<string> arguments) =>
        new(name, JobKind.Training, arguments, new Dictionary<string, string>());

    protected static JobSpec Inference(string name, IReadOnlyList<string> arguments, int replicas) =>
        new(name, JobKind.Inference, arguments, new Dictionary<string, string>(), Replicas: replicas);

    protected async Task<JobState> FinishedAsync(string name, LocalJobRunner? runner = null)
    {
        runner ??= _runner;
        return await Eventually.Until(() => runner.GetStateAsync(name, default),
            state => state.Phase is JobPhase.Succeeded or JobPhase.Failed, $"job {name} to finish");
    }

    protected async Task<int> RunningPidAsync(string name, int replica, LocalJobRunner? runner = null)
    {
        runner ??= _runner;
        var pid = await Eventually.Until(
            () => runner.GetReplicas(name).FirstOrDefault(r => r.Index == replica)?.ProcessId,
            found => found is not null, $"replica {replica} of {name} to run");
        return pid!.Value;
    }

    protected Task LogContainsAsync(string name, string text) =>
        Eventually.Until(() => _runner.GetLogAsync(name, 1000, default),
            log => log?.Contains(text, StringComparison.Ordinal) == true, $"'{text}' in the log of {name}");

    /// <summary>True once no process has the id (the runner reaps its children, so no zombie lingers).</summary>
    protected static bool HasEnded(int pid)
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
    protected static int SessionOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3]);
    }

    protected static Dictionary<string, string> Environ(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ")
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .GroupBy(kv => kv[0])
            .ToDictionary(g => g.Key, g => g.First()[1]);

    /// <summary>
    /// The environment of a child once it has exec'd: the runner knows the pid right after the fork, when
    /// <c>/proc/&lt;pid&gt;/environ</c> still shows this test process's own environment.
    /// </summary>
    protected static Task<Dictionary<string, string>> ExecedEnvironAsync(int pid) =>
        Eventually.Until(() => Environ(pid), environ => environ.ContainsKey(LocalJobRunner.JobNameVariable), $"process {pid} to exec");

    /// <summary>Ids of this test process's running children that run job <paramref name="name"/>.</summary>
    protected static IEnumerable<int> ProcessesOfJob(string name) =>
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

    protected static IEnumerable<int> ChildrenOf(int parent)
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
