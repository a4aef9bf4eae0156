using System.Runtime.InteropServices;
using KafkaMl.Core.Federated;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>federated-agent --cloud-bootstrap-servers H:P --data-bootstrap-servers H:P --site NAME</c>: a site of federated
/// learning (<see cref="SiteAgent"/>), running until Ctrl+C / SIGTERM. Its log lines go to stdout.
/// </summary>
public static class FederatedAgentVerb
{
    public const string Usage =
        """
        usage: KafkaMl.Web federated-agent --cloud-bootstrap-servers H:P --data-bootstrap-servers H:P --site NAME [options]
          Takes part in federated trainings: records this site's datasets (FEDERATED_DATA_CONTROL_TOPIC on the site's
          broker), follows the cloud's model announcements (FEDERATED_MODEL_CONTROL_TOPIC) and trains every matching
          model locally, round by round. Only weights, sample counts, metrics and standardisation statistics leave the site.

          --cloud-bootstrap-servers H:P  the portal's Kafka (announcements, round topics)
          --data-bootstrap-servers H:P   the site's own Kafka (its datasets; never leave it)
          --site NAME                    the site's name, as the portal lists it
          --torch-threads N              TorchSharp threads (default 1; 0 = one per core)
          --data-timeout SECONDS         fail a worker when its dataset's data stops arriving this long (default 30)
          -X KEY=VALUE                   librdkafka setting for both clusters, repeatable
        """;

    private static readonly string[] Valued = ["--cloud-bootstrap-servers", "--data-bootstrap-servers", "--site", "--torch-threads", "--data-timeout", "-X"];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var command = await CliOptions.ReadVerbAsync(args, Valued, [], Request, "federated-agent", Usage, "run 'KafkaMl.Web federated-agent --help' for the options");
        if (command.Request is not { } options) return command.ExitCode ?? CliOptions.UsageExitCode;

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });
        var console = new JobConsole(Console.Out);
        using var tracing = JobTracing.Start(JobVerbs.FederatedAgent);
        await new SiteAgent(options with { KafkaLogger = console }, console).RunAsync(stopping.Token);
        console.Report("stopped");
        return 0;
    }

    internal static SiteOptions Request(CliOptions options)
    {
        if (options.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.");
        var site = options.Required("--site").Trim();
        if (site.Length > 100 || site.Any(char.IsControl)) throw new CliUsageException("--site must be a name of at most 100 printable characters.");
        var threads = options.Int("--torch-threads", 1, min: 0, max: 1024);
        var timeout = options.Double("--data-timeout", 30);
        if (!(timeout > 0)) throw new CliUsageException("--data-timeout must be a positive number of seconds.");
        return new SiteOptions(site, options.Required("--cloud-bootstrap-servers").Trim(), options.Required("--data-bootstrap-servers").Trim())
        {
            KafkaSettings = VerbKafkaSettings.From(options),
            TorchThreads = threads == 0 ? null : threads,
            MissingDataTimeout = TimeSpan.FromSeconds(timeout),
        };
    }
}
