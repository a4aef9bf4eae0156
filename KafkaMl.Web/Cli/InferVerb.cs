using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Jobs.Inference;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>infer</c>: one replica of an inference service (<see cref="InferenceJob"/>): parses the options, runs the job
/// until Ctrl+C / SIGTERM (then it stops gracefully) or until the portal says the inference is gone, and prints
/// its lines.
/// </summary>
/// <remarks>
/// Stdout carries the replica's life, one line each (<see cref="InferenceJobLines"/>). Logs go to stderr. Exit codes:
/// 0 stopped (signal, or the portal deleted/stopped the inference), 1 failure (the model, the portal or Kafka),
/// 2 bad options.
/// </remarks>
public static class InferVerb
{
    public const int Failed = 1;
    public const int BadUsage = 2;

    /// <summary>Stdout lines start with this, then the replica index.</summary>
    public const string LinePrefix = InferenceJobLines.LinePrefix;

    public const string Usage =
        """
        usage: KafkaMl.Web infer --inference ID [options]
               KafkaMl.Web infer --model-script FILE --weights FILE --input-topic T --output-topic O --group G [options]
          Runs one replica of an inference service: consumes the input topic in the group, predicts, produces
          each prediction to the output topic ({"values": [...], "prediction": ...}), dead-letters what it cannot
          predict to <input>.dlq, until Ctrl+C or SIGTERM.

          --inference ID           the portal's inference to serve: spec and weights come from the portal
          --portal URL             portal base URL (default: KAFKAML_PORTAL_URL, else http://localhost:5080)
          --bootstrap-servers H:P  Kafka (default: KafkaMl__Kafka__BootstrapServers, else the portal's /api/status)
          --replica NAME           this replica's name: an index, or the pod name on Kubernetes (default: KAFKAML_REPLICA, else 0)
          --torch-threads N        TorchSharp threads (default 1: small models are fastest on one, replicas scale out)
          --max-batch N            most waiting messages predicted in one forward pass (default 256)
          --linger-ms N            linger.ms of the prediction producer (default 0: send at once)
          --fetch-wait-ms N        fetch.wait.max.ms of the input consumer (default 1, for the embedded broker, which
                                   holds empty fetches that long; 100 when the portal says its Kafka is external)
          --stats-interval S       seconds between stats reports and stats lines (default 2)
          --group-protocol P       consumer (KIP-848: partitions move member by member; Kafka 4.0+) or classic
                                   (default: consumer on the portal's embedded broker, classic elsewhere)
          -X KEY=VALUE             librdkafka setting for the consumer and the producer, repeatable
          --verbose                log at Debug level

          without a portal (benchmarks, tests):
          --model-script FILE      the model script (C#, TorchSharp)
          --weights FILE           the trained weights (TorchSharp format)
          --scaler FILE            the training's feature scaler ({"mean": [...], "std": [...]})
          --loss NAME              the training loss (cross_entropy, binary_cross_entropy, mse, mae): how outputs become classes
          --model-name NAME        the name in each prediction (default: the script file's name)
          --input-format F         RAW, AVRO or JSON (default RAW)
          --input-config JSON      the format's input_config (default {})
          --input-topic T          topic to read
          --output-topic O         topic to write predictions to
          --group G                consumer group shared by the replicas
        exit codes: 0 stopped, 1 failure (model, portal, Kafka), 2 bad options
        """;

    private static readonly string[] Valued =
    [
        "--inference", "--portal", "--bootstrap-servers", "--replica", "--torch-threads", "--max-batch", "--linger-ms", "--fetch-wait-ms", "--stats-interval", "--group-protocol", "-X",
        "--model-script", "--weights", "--scaler", "--loss", "--model-name", "--input-format", "--input-config", "--input-topic", "--output-topic", "--group",
    ];

    private static readonly string[] Flags = ["--verbose"];

    /// <summary><c>fetch.wait.max.ms</c> against an external cluster (which answers a fetch as soon as data arrives).</summary>
    public const int ExternalFetchWaitMs = InferenceJobOptions.ExternalFetchWaitMs;

    /// <summary>Environment variable holding a replica's index (set by the local runner).</summary>
    public const string ReplicaVariable = JobEnvironment.ReplicaVariable;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        InferenceJobOptions job;
        bool verbose;
        try
        {
            var options = CliOptions.Parse(args, Valued, Flags);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(Usage);
                return 0;
            }
            (job, verbose) = (Parse(options), options.Flag("--verbose"));
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"infer: {e.Message}");
            await Console.Error.WriteLineAsync("run 'KafkaMl.Web infer --help' for the options");
            return BadUsage;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));

        // SIGTERM (kubectl, docker stop, the local runner) stops as gracefully as Ctrl+C.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });
        using var tracing = JobTracing.Start(JobVerbs.Infer);
        var end = await InferenceJob.RunAsync(job, new ConsoleOutput(), loggerFactory.CreateLogger("KafkaMl.Inference"), stopping.Token);
        return end == InferenceJobEnd.Failed ? Failed : 0;
    }

    /// <summary>The replica's lines on stdout, its errors on stderr.</summary>
    private sealed class ConsoleOutput : IInferenceJobOutput
    {
        public void Line(string line) => Console.Out.WriteLine(line);

        public void Error(string message) => Console.Error.WriteLine($"infer: {message}");
    }

    private static InferenceJobOptions Parse(CliOptions options)
    {
        if (options.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.");
        int? inference = options.Has("--inference") ? options.Int("--inference", 0, min: 1) : null;
        var fileOptions = new[] { "--model-script", "--weights", "--scaler", "--loss", "--model-name", "--input-format", "--input-config", "--input-topic", "--output-topic", "--group" };
        if (inference is not null && fileOptions.FirstOrDefault(options.Has) is { } mixed)
            throw new CliUsageException($"{mixed} is for running without a portal; with --inference the portal gives the model and the topics.");
        if (inference is null && !options.Has("--model-script"))
            throw new CliUsageException("give --inference ID (served from the portal) or --model-script FILE with --weights and the topics (no portal).");

        var portalText = options.Get("--portal") ?? Environment.GetEnvironmentVariable(JobEnvironment.PortalUrlVariable) ?? "http://localhost:5080";
        if (!Uri.TryCreate(portalText, UriKind.Absolute, out var portal) || portal.Scheme is not ("http" or "https"))
            throw new CliUsageException($"--portal must be an http(s) URL, not '{portalText}'.");
        var bootstrap = options.Get("--bootstrap-servers") ?? Environment.GetEnvironmentVariable(JobEnvironment.BootstrapServersVariable);

        var replica = (options.Get("--replica") ?? Environment.GetEnvironmentVariable(ReplicaVariable))?.Trim();
        if (string.IsNullOrEmpty(replica)) replica = options.Has("--replica") ? throw new CliUsageException("--replica needs a name.") : "0";

        var settings = VerbKafkaSettings.From(options);
        JsonObject inputConfig;
        try
        {
            inputConfig = InputConfig.Parse(options.Get("--input-config")).ToJsonObject();
        }
        catch (DataFormatException e)
        {
            throw new CliUsageException($"--input-config: {e.Message}");
        }
        var format = options.Get("--input-format") ?? RawFormat.FormatName;
        if (!DataFormats.TryGet(format, out _)) throw new CliUsageException($"--input-format: '{format}' is not one of {string.Join(", ", DataFormats.Names)}.");

        var protocolText = options.Get("--group-protocol") ?? Environment.GetEnvironmentVariable(JobEnvironment.GroupProtocolVariable);
        GroupProtocol? protocol = string.IsNullOrWhiteSpace(protocolText)
            ? null
            : KafkaClientConfig.ParseGroupProtocol(protocolText) ?? throw new CliUsageException($"--group-protocol: '{protocolText}' is not consumer or classic.");

        var job = new InferenceJobOptions
        {
            GroupProtocol = protocol,
            InferenceId = inference,
            Portal = portal,
            Token = Environment.GetEnvironmentVariable(JobEnvironment.TokenVariable),
            BootstrapServers = string.IsNullOrWhiteSpace(bootstrap) ? null : bootstrap,
            Replica = replica,
            TorchThreads = options.Int("--torch-threads", 1, min: 1, max: 256),
            MaxBatch = options.Int("--max-batch", 256, min: 1, max: 100_000),
            LingerMs = options.Int("--linger-ms", 0, min: 0, max: 10_000),
            FetchWaitMs = options.Has("--fetch-wait-ms") ? options.Int("--fetch-wait-ms", 1, min: 0, max: 10_000) : null,
            StatsInterval = TimeSpan.FromSeconds(Math.Clamp(options.Double("--stats-interval", 2), 0.1, 3600)),
            KafkaSettings = settings,
            ModelScript = options.Get("--model-script"),
            Weights = options.Get("--weights"),
            Scaler = options.Get("--scaler"),
            Loss = options.Get("--loss"),
            ModelName = options.Get("--model-name"),
            InputFormat = format,
            InputConfig = inputConfig,
            InputTopic = options.Get("--input-topic"),
            OutputTopic = options.Get("--output-topic"),
            Group = options.Get("--group"),
        };
        if (inference is null)
        {
            foreach (var required in new[] { "--weights", "--input-topic", "--output-topic", "--group" })
                if (string.IsNullOrWhiteSpace(options.Get(required))) throw new CliUsageException($"{required} is required without --inference.");
        }
        return job;
    }
}
