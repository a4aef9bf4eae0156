using System.Globalization;
using KafkaMl.Core.Orchestration.Local;

namespace KafkaMl.Tests.Federated;

/// <summary>What <c>/proc</c> says of an agent's worker processes (Linux, where the suite runs).</summary>
internal static class WorkerProcesses
{
    /// <summary>Whether <paramref name="pid"/> runs as a descendant of <paramref name="agent"/>.</summary>
    public static bool IsChildOf(int pid, int agent) => ProcessSignals.Descendants(agent).Any(d => d.Pid == pid);

    /// <summary>Whether <paramref name="pid"/> still runs.</summary>
    public static bool Runs(int pid) => ProcessSignals.StartTicks(pid) is not null;

    /// <summary>The process's arguments joined by spaces.</summary>
    public static string CommandLineOf(int pid) =>
        File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Replace('\0', ' ');
}
