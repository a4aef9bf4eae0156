using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>An <c>infer</c> child process of this executable, watched through its stdout lines.</summary>
internal sealed partial class InferenceReplica : IDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly Queue<string> _tail = new();
    private readonly List<(long At, string Line)> _moves = [];
    private int[] _holds = [];
    private long _changed = Stopwatch.GetTimestamp();

    private InferenceReplica(int index, Process process)
    {
        Index = index;
        _process = process;
    }

    public int Index { get; }

    public IReadOnlyList<int> Holds
    {
        get { lock (_gate) return _holds; }
    }

    /// <summary>The replica's assigned / revoked / lost lines, each with when it was read (a <see cref="Stopwatch"/> timestamp).</summary>
    public IReadOnlyList<(long At, string Line)> Moves
    {
        get { lock (_gate) return [.. _moves]; }
    }

    public TimeSpan Stable => Stopwatch.GetElapsedTime(Interlocked.Read(ref _changed));

    public bool HasExited => _process.HasExited;

    /// <summary>The last captured line starting with <paramref name="prefix"/>, if any.</summary>
    public string? LastLine(string prefix)
    {
        lock (_gate) return _tail.LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>The replica's <c>startup</c> line (where its start-up went), kept apart from the tail, which its stats lines soon fill.</summary>
    public string? Startup { get; private set; }

    public string Tail
    {
        get { lock (_gate) return string.Join(Environment.NewLine, _tail); }
    }

    public static InferenceReplica Start(int index, IReadOnlyList<string> args)
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") info.ArgumentList.Add(typeof(InferenceReplica).Assembly.Location);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = new Process { StartInfo = info };
        var replica = new InferenceReplica(index, process);
        process.OutputDataReceived += (_, e) => replica.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => replica.OnLine(e.Data);
        if (!process.Start()) throw new BenchFailure("could not start an infer process.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return replica;
    }

    /// <summary>Waits until the replicas hold every partition between them, each holds one (when there are enough), and nothing changed for a second.</summary>
    public static async Task WaitForGroupAsync(IReadOnlyList<InferenceReplica> replicas, int partitions, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (replicas.FirstOrDefault(r => r.HasExited) is { } dead)
                throw new BenchFailure($"infer replica {dead.Index} exited early:{Environment.NewLine}{dead.Tail}");
            if (Share(replicas, partitions) && replicas.All(r => r.Stable > TimeSpan.FromSeconds(1))) return;
            if (clock.Elapsed > timeout)
                throw new BenchFailure($"the {replicas.Count} infer replicas did not share the {partitions} partitions within {timeout.TotalSeconds:0} s:{Environment.NewLine}{string.Join(Environment.NewLine, replicas.Select(r => r.Tail))}");
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Whether the replicas hold all <paramref name="partitions"/> between them, each one at least (when there are enough).</summary>
    public static bool Share(IReadOnlyList<InferenceReplica> replicas, int partitions)
    {
        var holds = replicas.Select(r => r.Holds).ToList();
        var everyone = replicas.Count > partitions || holds.All(h => h.Count > 0);
        return everyone && holds.SelectMany(h => h).Distinct().Count() == partitions;
    }

    /// <summary>Kills the process at once (SIGKILL): no revoke, no commit, no leaving the group.</summary>
    public void Kill() => _process.Kill(entireProcessTree: false);

    public async Task StopAsync(TimeSpan timeout)
    {
        try
        {
            if (_process.HasExited) return;
            _ = SysKill(_process.Id, 15);
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Not started or already gone.
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            _tail.Enqueue(line);
            if (line.StartsWith($"replica {Index} startup: ", StringComparison.Ordinal)) Startup = line;
            while (_tail.Count > 30) _tail.Dequeue();
            if (HoldsPattern().Match(line) is { Success: true } match)
            {
                _holds = match.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                Interlocked.Exchange(ref _changed, Stopwatch.GetTimestamp());
                _moves.Add((Stopwatch.GetTimestamp(), line));
            }
        }
    }

    [GeneratedRegex(@"^replica \d+ (?:assigned|revoked|lost) .*holds \[([0-9, ]*)\]")]
    private static partial Regex HoldsPattern();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
}
