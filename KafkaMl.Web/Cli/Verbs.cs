using KafkaMl.Web.Cli.Bench;

namespace KafkaMl.Web.Cli;

/// <summary>
/// The executable's verbs. No verb (or an option as first argument) serves the portal; any other
/// verb runs the same binary as a job or tool, so one image serves the portal and every job.
/// </summary>
public static class Verbs
{
    private static readonly Dictionary<string, (string Summary, Func<string[], CancellationToken, Task<int>> Run)> All =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["broker"] = ("run the embedded Kafka broker alone", BrokerVerb.RunAsync),
            ["healthcheck"] = ("probe a running portal's /healthz (exit 0 when healthy)", HealthcheckVerb.RunAsync),
            ["model-check"] = ("compile, sandbox-check and dry-run a model script (stdin or file; --input-shape \"3\")", ModelCheckVerb.RunAsync),
            ["train"] = ("run the training job of one result (train --result ID; the runners start it)", TrainVerb.RunAsync),
            ["infer"] = ("run one inference replica: consume an input topic, predict, produce predictions (--inference ID, or files)", InferVerb.RunAsync),
            ["federated-agent"] = ("take part in federated trainings as a site (--cloud-bootstrap-servers, --data-bootstrap-servers, --site)", FederatedAgentVerb.RunAsync),
            ["federated-worker"] = ("one site's worker for one federated model (started by federated-agent as its child process)", FederatedWorkerVerb.RunAsync),
            ["send"] = ("stream a CSV file to a data topic and announce it to a deployment", SendVerb.RunAsync),
            ["bench"] = ("benchmarks run side by side with a baseline: bench sink, bench inference, bench training", BenchVerb.RunAsync),
        };

    /// <summary>Runs the verb named by <paramref name="args"/>[0]; null when the portal should be served.</summary>
    public static async Task<int?> TryRunAsync(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-')) return null;
        if (args[0] is "help" or "verbs")
        {
            Console.WriteLine("usage: KafkaMl.Web [verb] [options]   (no verb serves the portal)");
            foreach (var (name, verb) in All) Console.WriteLine($"  {name,-10} {verb.Summary}");
            return 0;
        }
        if (!All.TryGetValue(args[0], out var found))
        {
            Console.Error.WriteLine($"unknown verb '{args[0]}'; run 'KafkaMl.Web help' for the list");
            return 2;
        }
        // Not disposed: ProcessExit fires after the verb returns and must still be able to cancel it.
        var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cts.Cancel();
        return await found.Run(args[1..], cts.Token);
    }
}
