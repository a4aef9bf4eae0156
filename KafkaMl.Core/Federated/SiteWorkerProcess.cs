using System.Diagnostics;
using System.Globalization;
using System.Text;
using KafkaMl.Core.Orchestration.Local;

namespace KafkaMl.Core.Federated;

/// <summary>
/// The worker of one matched model as a child process of the agent: this executable's hidden <c>federated-worker</c>
/// verb (<c>--result ID --assignment FILE</c>). Its output lines go to the agent's log. Its standard input stays open
/// while the agent lives: a worker whose input closes (the agent died, even by SIGKILL) stops, so no worker outlives
/// its agent. Stopping asks with SIGTERM, then kills the process after a grace period.
/// </summary>
public sealed class SiteWorkerProcess : IDisposable
{
    /// <summary>The verb a worker process runs.</summary>
    public const string Verb = "federated-worker";

    /// <summary>A worker's exit code when its dataset cannot be trained on (not restarted: it would fail the same way).</summary>
    public const int GaveUpExitCode = 3;

    private readonly Process _process;

    private SiteWorkerProcess(Process process, int resultId)
    {
        _process = process;
        ResultId = resultId;
    }

    public int ResultId { get; }

    public int Id => _process.Id;

    public bool HasExited => ReplicaProcess.HasExited(_process);

    /// <summary>The exit code once <see cref="HasExited"/>.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Writes <paramref name="assignment"/> to <paramref name="directory"/> and starts its worker.</summary>
    public static SiteWorkerProcess Start(WorkerAssignment assignment, string directory, IProgress<string> log)
    {
        var resultId = assignment.Model.ResultId.ToString(CultureInfo.InvariantCulture);
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"result-{resultId}-{Guid.NewGuid():N}.json");
        assignment.Write(file);
        var (fileName, leading) = new LocalJobRunnerOptions().ResolveExecutable();
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in (string[])[.. leading, Verb, "--result", resultId, "--assignment", file]) info.ArgumentList.Add(argument);
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) log.Report(line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) log.Report($"[worker of result {resultId}] {line}"); };
        try
        {
            process.Start();
        }
        catch
        {
            File.Delete(file);
            process.Dispose();
            throw;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiteWorkerProcess(process, assignment.Model.ResultId);
    }

    /// <summary>SIGTERM, then a kill of its process tree once <paramref name="grace"/> has passed.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (HasExited) return;
        if (!await ProcessSignals.StopAsync(_process, grace)) await _process.WaitForExitAsync(CancellationToken.None);
    }

    public void Dispose()
    {
        if (!HasExited) ProcessSignals.KillTree(_process);
        _process.Dispose();
    }
}
