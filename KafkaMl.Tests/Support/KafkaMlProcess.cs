using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace KafkaMl.Tests.Support;

/// <summary>Which output stream(s) a line is matched against.</summary>
[Flags]
public enum OutputStream
{
    Stdout = 1,
    Stderr = 2,
    Both = Stdout | Stderr,
}

/// <summary>
/// The KafkaMl.Web executable running as a child process (<c>dotnet KafkaMl.Web.dll [verb] [args]</c>),
/// built in the same configuration as the test assembly. Captures stdout and stderr line by line,
/// waits for lines and for exit, and kills the whole process tree on dispose.
/// </summary>
public sealed class KafkaMlProcess : IDisposable
{
    private static readonly Lazy<string> RepoRootPath = new(FindRepoRoot);

    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<(string Line, bool IsStderr)> _all = [];
    private readonly List<Waiter> _waiters = [];
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    private KafkaMlProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
    }

    /// <summary>The directory holding KafkaMl.sln.</summary>
    public static string RepoRoot => RepoRootPath.Value;

    /// <summary>KafkaMl.Web.dll of the test assembly's configuration and target framework.</summary>
    public static string WebDllPath
    {
        get
        {
            var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var framework = testBin.Name; // e.g. net10.0
            var configuration = typeof(KafkaMlProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration
                ?? testBin.Parent?.Name
                ?? "Debug";
            var dll = Path.Combine(RepoRoot, "KafkaMl.Web", "bin", configuration, framework, "KafkaMl.Web.dll");
            return File.Exists(dll)
                ? dll
                : throw new FileNotFoundException($"KafkaMl.Web is not built for {configuration}/{framework}; build the solution first.", dll);
        }
    }

    public int Id => _process.Id;

    public string CommandLine { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The process's standard input (redirected), for verbs that read it (<c>send --data -</c>).</summary>
    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>The exit code, or null while the process runs.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public IReadOnlyList<string> StdoutLines { get { lock (_gate) return [.. _stdout]; } }

    public IReadOnlyList<string> StderrLines { get { lock (_gate) return [.. _stderr]; } }

    /// <summary>All captured lines in arrival order, stderr lines prefixed with <c>! </c>; for failure messages.</summary>
    public string Transcript
    {
        get
        {
            lock (_gate)
            {
                var text = new StringBuilder();
                foreach (var (line, isStderr) in _all) text.Append(isStderr ? "! " : "  ").AppendLine(line);
                return text.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>dotnet KafkaMl.Web.dll</c> with <paramref name="args"/> (a verb and its options, or
    /// none for the portal). <paramref name="environment"/> entries are added to the inherited
    /// environment; a null value removes a variable.
    /// </summary>
    public static KafkaMlProcess Start(
        IEnumerable<string> args,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var dll = WebDllPath;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = workingDirectory ?? Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_NOLOGO"] = "1";
        // A portal started by a test listens on loopback and acts as admin for every request (open mode), so tests
        // that are not about access control need no credentials; a test about it passes KafkaMl__Auth__Mode itself.
        var servesPortal = info.ArgumentList.Skip(1).FirstOrDefault() is not { } verb || verb.StartsWith('-');
        if (servesPortal) info.Environment["KafkaMl__Auth__Mode"] = "open";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new KafkaMlProcess(process, string.Join(' ', info.ArgumentList.Prepend(dotnet)));
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, isStderr: false);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, isStderr: true);
        if (!process.Start()) throw new InvalidOperationException($"Could not start {child.CommandLine}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// The first line (already captured or still to come) that <paramref name="match"/> accepts.
    /// Throws <see cref="TimeoutException"/> after <paramref name="timeout"/>, or
    /// <see cref="InvalidOperationException"/> when the process ends without such a line; both carry the transcript.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, OutputStream streams = OutputStream.Both)
    {
        var waiter = new Waiter(match, streams);
        lock (_gate)
        {
            foreach (var (line, isStderr) in _all)
            {
                if (waiter.Accepts(line, isStderr)) return line;
            }
            if (OutputClosed) throw NoSuchLine();
            _waiters.Add(waiter);
        }
        try
        {
            return await waiter.Found.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No matching line within {timeout} from {CommandLine}\n{Transcript}");
        }
        finally
        {
            lock (_gate) _waiters.Remove(waiter);
        }
    }

    /// <summary>Waits for the process to exit and its output to be drained; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{CommandLine} did not exit within {timeout}\n{Transcript}");
        }
    }

    /// <summary>Asks the process to stop as on <c>docker stop</c> (SIGTERM; a kill elsewhere) and waits for it.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            if (OperatingSystem.IsWindows()) _process.Kill(entireProcessTree: true);
            else if (SysKill(_process.Id, Sigterm) != 0 && !_process.HasExited)
                throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return await WaitForExitAsync(timeout);
    }

    /// <summary>Kills the whole process tree if it still runs.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private bool OutputClosed => _stdoutClosed.Task.IsCompleted && _stderrClosed.Task.IsCompleted;

    private InvalidOperationException NoSuchLine() =>
        new($"{CommandLine} ended (exit code {(_process.HasExited ? _process.ExitCode : "?")}) without a matching line\n{Transcript}");

    private void OnLine(string? line, bool isStderr)
    {
        List<Waiter> done = [];
        InvalidOperationException? ended = null;
        lock (_gate)
        {
            if (line is null)
            {
                (isStderr ? _stderrClosed : _stdoutClosed).TrySetResult();
                if (OutputClosed)
                {
                    done.AddRange(_waiters);
                    _waiters.Clear();
                    if (done.Count > 0) ended = NoSuchLine();
                }
            }
            else
            {
                (isStderr ? _stderr : _stdout).Add(line);
                _all.Add((line, isStderr));
                foreach (var waiter in _waiters)
                {
                    if (waiter.Accepts(line, isStderr)) done.Add(waiter);
                }
                foreach (var waiter in done) _waiters.Remove(waiter);
            }
        }
        // Complete outside the lock; continuations run asynchronously anyway.
        foreach (var waiter in done)
        {
            if (ended is not null) waiter.Found.TrySetException(ended);
            else waiter.Found.TrySetResult(line!);
        }
    }

    private sealed class Waiter(Func<string, bool> match, OutputStream streams)
    {
        public TaskCompletionSource<string> Found { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Accepts(string line, bool isStderr) =>
            streams.HasFlag(isStderr ? OutputStream.Stderr : OutputStream.Stdout) && match(line);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KafkaMl.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"No KafkaMl.sln above {AppContext.BaseDirectory}");
    }

    private const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
