using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace KafkaMl.Core.Orchestration.Local;

/// <summary>How <see cref="LocalJob"/> starts and looks at a replica's process.</summary>
internal static class ReplicaProcess
{
    /// <summary>
    /// The start of replica <paramref name="replica"/> of <paramref name="spec"/>: this executable (in a session of its
    /// own where <c>setsid</c> exists) with the spec's arguments and environment, and the executable's path.
    /// </summary>
    public static (ProcessStartInfo Info, string FileName) StartInfo(JobSpec spec, LocalJobRunnerOptions options, string directory, int replica)
    {
        var (fileName, leading) = options.ResolveExecutable();
        // In a session of its own, a replica outlives the portal: a terminal's Ctrl+C or hang-up reaches the portal only,
        // and a portal that dies leaves its jobs for the next one to adopt.
        var sessionLeader = ProcessSignals.SetsidPath;
        var info = new ProcessStartInfo(sessionLeader ?? fileName)
        {
            WorkingDirectory = directory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (sessionLeader is not null) info.ArgumentList.Add(fileName);
        foreach (var argument in leading) info.ArgumentList.Add(argument);
        foreach (var argument in spec.Arguments) info.ArgumentList.Add(argument);
        // The portal's own secrets (its API token, OIDC client secret, ...) stay with the portal; a job gets those its spec names.
        foreach (var inherited in info.Environment.Keys.Where(options.IsSecretVariable).ToList()) info.Environment.Remove(inherited);
        foreach (var (name, value) in spec.Environment) info.Environment[name] = value;
        info.Environment[LocalJobRunner.ReplicaVariable] = replica.ToString(CultureInfo.InvariantCulture);
        info.Environment[LocalJobRunner.JobNameVariable] = spec.Name;
        if (spec.Kind == JobKind.Training) info.Environment[JobEnvironment.ResumableMarkerVariable] = ResumableMarker(directory);
        return (info, fileName);
    }

    /// <summary>True once the process exited, or was disposed after its supervisor saw it exit.</summary>
    /// <summary>The file a training job in <paramref name="directory"/> creates when it can resume after a kill (<see cref="JobEnvironment.ResumableMarkerVariable"/>).</summary>
    public static string ResumableMarker(string directory) => Path.Combine(directory, "resumable");

    public static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true; // disposed: its supervisor saw it exit
        }
    }

    /// <summary>A delay as a log line says it: <c>1.5 s</c>, <c>250 ms</c>.</summary>
    public static string Describe(TimeSpan delay) =>
        delay.TotalSeconds >= 1
            ? $"{delay.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s"
            : $"{delay.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";
}
