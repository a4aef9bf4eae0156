using System.Runtime.InteropServices;
using KafkaMl.Core.Control;
using KafkaMl.Core.Federated;
using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>federated-worker --result ID --assignment FILE</c>: one site's worker for one federated model
/// (<see cref="SiteWorker"/>), started by <c>federated-agent</c> as its child process (<see cref="SiteWorkerProcess"/>).
/// It stops on SIGTERM and when its standard input closes (its agent is gone); exit 0 once it sent its evaluation of
/// the final weights, <see cref="SiteWorkerProcess.GaveUpExitCode"/> when its dataset cannot be trained on.
/// </summary>
public static class FederatedWorkerVerb
{
    public const string Usage =
        """
        usage: KafkaMl.Web federated-worker --result ID --assignment FILE
          Started by federated-agent, one per matched model: trains on the site's dataset each round and sends the update,
          then evaluates the final global model on the site's test split. Reads (and deletes) the assignment the agent
          wrote; stops when its standard input closes, i.e. when the agent that started it is gone.

          --result ID          the federated result (as the assignment names it; shown in process lists)
          --assignment FILE    the agent's assignment: site, clusters, model announcement, dataset
        """;

    private static readonly string[] Valued = ["--result", "--assignment"];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var command = await CliOptions.ReadVerbAsync(args, Valued, [], Request, SiteWorkerProcess.Verb, Usage, "run 'KafkaMl.Web federated-worker --help' for the options");
        if (command.Request is not { } assignment) return command.ExitCode ?? CliOptions.UsageExitCode;

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });
        _ = StopWhenInputClosesAsync(stopping);
        var lines = new AgentLines();
        try
        {
            await SiteWorker.RunAsync(assignment.Options() with { KafkaLogger = new JobConsole(Console.Out) }, assignment.Model, assignment.Dataset(), lines, stopping.Token);
            return 0;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is TrainingJobException or ControlMessageException or Core.Scripting.ModelBuildException)
        {
            lines.Report($"[{assignment.Site} · result {assignment.Model.ResultId}] cannot take part: {e.Message}");
            return SiteWorkerProcess.GaveUpExitCode;
        }
    }

    /// <summary>The agent holds the worker's standard input open while it lives; end of input means it is gone.</summary>
    private static async Task StopWhenInputClosesAsync(CancellationTokenSource stopping)
    {
        await using var input = Console.OpenStandardInput();
        await input.CopyToAsync(Stream.Null);
        await stopping.CancelAsync();
    }

    internal static WorkerAssignment Request(CliOptions options)
    {
        if (options.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.");
        var result = options.Int("--result", 0, min: 1);
        var path = options.Required("--assignment");
        WorkerAssignment assignment;
        try
        {
            assignment = WorkerAssignment.Read(path);
            File.Delete(path); // it may hold the clusters' credentials: off the disk once read
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new CliUsageException($"--assignment {path}: {e.Message}");
        }
        if (assignment.Model.ResultId != result)
            throw new CliUsageException($"--result {result} does not match the assignment (result {assignment.Model.ResultId}).");
        return assignment;
    }

    /// <summary>Lines for the agent's log, which adds the time (Console.Out is synchronised and flushes each line).</summary>
    private sealed class AgentLines : IProgress<string>
    {
        public void Report(string value) => Console.Out.WriteLine(value);
    }
}
