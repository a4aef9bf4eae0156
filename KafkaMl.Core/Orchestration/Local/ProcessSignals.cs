using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>POSIX signals and <c>/proc</c> facts the local runner needs; each degrades to a no-op where the OS lacks it.</summary>
internal static partial class ProcessSignals
{
    private const int Sigterm = 15;

    /// <summary>
    /// util-linux's <c>setsid</c> (part of every Debian-based image), which runs a program in a new session; null where
    /// there is none. Started by a process that is not a group leader, it execs in place: the replica keeps its id.
    /// </summary>
    public static string? SetsidPath { get; } = OperatingSystem.IsLinux()
        ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists)
        : null;

    /// <summary>Asks <paramref name="process"/> to stop (SIGTERM); false where signals are not available (Windows) or it failed.</summary>
    public static bool TryTerminate(Process process)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            return SysKill(process.Id, Sigterm) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops <paramref name="process"/> as a pod is stopped: SIGTERM, then, if it has not exited within
    /// <paramref name="grace"/> (or signals are not available), a kill of its process tree. True when it stopped by itself.
    /// </summary>
    public static async Task<bool> StopAsync(Process process, TimeSpan grace)
    {
        if (TryTerminate(process))
        {
            try
            {
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(grace);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                // Past its grace period (or gone meanwhile): killed below.
            }
        }
        if (ReplicaProcess.HasExited(process)) return true;
        KillTree(process);
        return false;
    }

    /// <summary>Kills the process and its descendants; an already exited process is fine.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting while we kill it.
        }
    }

    /// <summary>
    /// The descendants of process <paramref name="pid"/> (children, their children, ...) with their start times, on
    /// Linux; empty elsewhere. Taken before a replica is stopped, so that what outlives it can be killed too.
    /// </summary>
    public static IReadOnlyList<(int Pid, long StartTicks)> Descendants(int pid)
    {
        if (!OperatingSystem.IsLinux()) return [];
        var children = new Dictionary<int, List<(int, long)>>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var candidate)) continue;
                if (Stat(candidate) is not { } stat) continue;
                if (!children.TryGetValue(stat.ParentPid, out var list)) children[stat.ParentPid] = list = [];
                list.Add((candidate, stat.StartTicks));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
        var found = new List<(int, long)>();
        var pending = new Queue<int>([pid]);
        while (pending.Count > 0)
        {
            foreach (var child in children.GetValueOrDefault(pending.Dequeue()) ?? [])
            {
                found.Add(child);
                pending.Enqueue(child.Item1);
            }
        }
        return found;
    }

    /// <summary>Kills those of <paramref name="processes"/> that still run (the same processes: same id and start time).</summary>
    public static int KillSurvivors(IEnumerable<(int Pid, long StartTicks)> processes)
    {
        var killed = 0;
        foreach (var (pid, ticks) in processes)
        {
            if (StartTicks(pid) != ticks) continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                killed++;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile, or not ours to kill.
            }
        }
        return killed;
    }

    /// <summary>
    /// The process's start time in clock ticks since boot (<c>/proc/&lt;pid&gt;/stat</c>, field 22) on Linux, which
    /// tells a process from a later one that reuses its id; null elsewhere or when no such process exists.
    /// </summary>
    public static long? StartTicks(int pid) => OperatingSystem.IsLinux() ? Stat(pid)?.StartTicks : null;

    /// <summary>Parent and start time from <c>/proc/&lt;pid&gt;/stat</c>; null when there is no such (living) process.</summary>
    private static (int ParentPid, long StartTicks)? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
            // "pid (comm) state ppid ..." — comm may hold spaces and parentheses, so count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields[0] is "Z" or "X") return null; // exited, not yet reaped
            return int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
                && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                ? (parent, ticks)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Whether <paramref name="exitCode"/> is that of a process killed by SIGKILL (128 + 9 on Unix).</summary>
    public static bool IsKill(int exitCode) => !OperatingSystem.IsWindows() && exitCode == 128 + 9;

    /// <summary>"exit code 143 (SIGTERM)": the exit code, and on Unix the signal a code above 128 stands for.</summary>
    public static string DescribeExitCode(int exitCode)
    {
        var text = $"exit code {exitCode.ToString(CultureInfo.InvariantCulture)}";
        if (OperatingSystem.IsWindows() || exitCode <= 128 || exitCode > 128 + 64) return text;
        var signal = exitCode - 128;
        var name = signal switch
        {
            1 => "SIGHUP",
            2 => "SIGINT",
            6 => "SIGABRT",
            9 => "SIGKILL (out of memory, or killed)",
            11 => "SIGSEGV",
            15 => "SIGTERM",
            _ => $"signal {signal.ToString(CultureInfo.InvariantCulture)}",
        };
        return $"{text} ({name})";
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
