using System.Globalization;
using System.Runtime.InteropServices;
using KafkaMl.Core;
using KafkaMl.Core.Broker;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>broker</c>: runs the embedded Kafka broker alone until Ctrl+C / SIGTERM. Stdout carries exactly
/// one line, <c>Embedded Kafka broker listening on &lt;bootstrap&gt;</c>, once clients can connect;
/// logs go to stderr.
/// </summary>
public static class BrokerVerb
{
    public const string ReadyLinePrefix = "Embedded Kafka broker listening on ";

    private const string Usage =
        "usage: KafkaMl.Web broker [--port N] [--bind ADDR] [--topic NAME]... [--partitions N] [--verbose]\n" +
        "  --port N        port to listen on and advertise (default 9092; 0 = any free port)\n" +
        "  --bind ADDR     address to bind (default 127.0.0.1; 0.0.0.0 inside a container)\n" +
        "  --topic NAME    topic to pre-create (repeatable); " + KafkaOptions.DefaultControlTopic + " (1 partition) always is\n" +
        "  --partitions N  partitions of pre-created topics (default 4)\n" +
        "  --verbose       log at Information level (default: warnings only)";

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!TryParse(args, out var options, out var error))
        {
            if (error.Length > 0) await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(Usage);
            return error.Length > 0 ? 2 : 0;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        var logger = loggerFactory.CreateLogger(typeof(BrokerVerb).FullName!);

        // SIGTERM (docker stop, kubectl, a parent process) shuts down as gracefully as Ctrl+C.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });

        EmbeddedBroker broker;
        try
        {
            broker = EmbeddedBroker.Start(options.Settings, logger);
        }
        catch (BrokerStartException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 1;
        }

        using (broker)
        {
            // One partition keeps control messages in one total order, as Kafka's own auto-creation would.
            broker.CreateTopic(KafkaOptions.DefaultControlTopic, partitions: 1);
            foreach (var topic in options.Topics)
                broker.CreateTopic(topic, options.Settings.DefaultPartitions);

            await Console.Out.WriteLineAsync(ReadyLinePrefix + broker.BootstrapServers);
            await Console.Out.FlushAsync(CancellationToken.None);

            try
            {
                await Task.Delay(Timeout.Infinite, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop cleanly.
            }
        }
        return 0;
    }

    private sealed record Options(EmbeddedBrokerSettings Settings, IReadOnlyList<string> Topics, bool Verbose);

    private static bool TryParse(string[] args, out Options options, out string error)
    {
        var settings = new EmbeddedBrokerSettings();
        var topics = new List<string>();
        var verbose = false;
        options = new Options(settings, topics, verbose);
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help") return false;
            if (arg == "--verbose") { verbose = true; continue; }
            if (arg is not ("--port" or "--bind" or "--topic" or "--partitions"))
            {
                error = $"unknown option '{arg}'";
                return false;
            }
            if (i + 1 >= args.Length)
            {
                error = $"{arg} needs a value";
                return false;
            }
            var value = args[++i];
            switch (arg)
            {
                case "--port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535:
                    settings = settings with { Port = port };
                    break;
                case "--partitions" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var partitions) && partitions > 0:
                    settings = settings with { DefaultPartitions = partitions };
                    break;
                case "--bind" when value.Length > 0:
                    settings = settings with { BindAddress = value };
                    break;
                case "--topic" when value.Length > 0:
                    if (!topics.Contains(value, StringComparer.Ordinal)) topics.Add(value);
                    break;
                default:
                    error = $"invalid value '{value}' for {arg}";
                    return false;
            }
        }
        options = new Options(settings, topics, verbose);
        return true;
    }
}
