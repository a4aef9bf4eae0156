using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Training;
using TorchSharp;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>infer</c>: one replica of an inference service. Fetches the inference's spec and trained weights from the
/// portal (or takes them from files, without a portal), builds the model in this process, and runs an
/// <see cref="InferenceEngine"/> until Ctrl+C / SIGTERM, then stops gracefully (no more consuming, predictions in
/// flight delivered, offsets committed, group left). Posts stats to the portal every few seconds and exits when
/// the portal says the inference is gone.
/// </summary>
/// <remarks>
/// Stdout carries the replica's life, one line each: <c>replica 0 of inference 3 consuming in -> out, group g</c>,
/// <c>replica 0 assigned [0, 1]</c>, periodic <c>replica 0 stats: ...</c> lines and <c>replica 0 stopped: ...</c>.
/// Logs go to stderr. Exit codes: 0 stopped (signal, or the portal deleted/stopped the inference), 1 failure
/// (the model, the portal or Kafka), 2 bad options.
/// </remarks>
public static class InferVerb
{
    public const int Failed = 1;
    public const int BadUsage = 2;

    /// <summary>Stdout lines start with this, then the replica index.</summary>
    public const string LinePrefix = "replica ";

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
        "--inference", "--portal", "--bootstrap-servers", "--replica", "--torch-threads", "--max-batch", "--linger-ms", "--fetch-wait-ms", "--stats-interval", "-X",
        "--model-script", "--weights", "--scaler", "--loss", "--model-name", "--input-format", "--input-config", "--input-topic", "--output-topic", "--group",
    ];

    private static readonly string[] Flags = ["--verbose"];

    /// <summary><c>fetch.wait.max.ms</c> against an external cluster (which answers a fetch as soon as data arrives).</summary>
    public const int ExternalFetchWaitMs = 100;

    /// <summary>Environment variable holding a replica's index (set by the local runner).</summary>
    public const string ReplicaVariable = JobEnvironment.ReplicaVariable;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Request request;
        try
        {
            var options = CliOptions.Parse(args, Valued, Flags);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(Usage);
                return 0;
            }
            request = Request.From(options);
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"infer: {e.Message}");
            await Console.Error.WriteLineAsync("run 'KafkaMl.Web infer --help' for the options");
            return BadUsage;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(request.Verbose ? LogLevel.Debug : LogLevel.Information)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        var logger = loggerFactory.CreateLogger("KafkaMl.Inference");

        // SIGTERM (kubectl, docker stop, the local runner) stops as gracefully as Ctrl+C.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });

        InferencePortalClient? portal = null;
        try
        {
            Setup setup;
            try
            {
                TorchNative.EnsureLoadable();
                torch.set_num_threads(request.TorchThreads);
                if (request.InferenceId is { } id)
                {
                    portal = new InferencePortalClient(request.Portal, id, Environment.GetEnvironmentVariable(JobEnvironment.TokenVariable));
                    setup = await FromPortalAsync(request, portal, stopping.Token);
                }
                else
                {
                    setup = await FromFilesAsync(request, stopping.Token);
                }
            }
            catch (Exception e) when (e is InferenceSetupException or InferencePortalException or DataFormatException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"infer: {e.Message}");
                return Failed;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return 0;
            }

            return await ServeAsync(request, setup, portal, logger, stopping);
        }
        finally
        {
            portal?.Dispose();
        }
    }

    private sealed record Setup(InferenceModel Model, IDataDecoder Decoder, InferenceEngineOptions Options, string Description);

    private static async Task<Setup> FromPortalAsync(Request request, InferencePortalClient portal, CancellationToken cancellationToken)
    {
        var spec = await RetryAsync(portal.GetSpecAsync, cancellationToken);
        var (portalKafka, embedded) = await portal.GetKafkaStatusAsync(cancellationToken);
        var bootstrap = request.BootstrapServers
            ?? portalKafka
            ?? throw new InferenceSetupException($"Where is Kafka? Neither --bootstrap-servers, {JobEnvironment.BootstrapServersVariable} nor the portal's /api/status says.");
        // The embedded broker holds empty fetches for the whole wait; a real cluster answers when data arrives.
        request = request with { FetchWaitMs = request.FetchWaitMs ?? (embedded == false ? ExternalFetchWaitMs : null) };
        var weights = Path.Combine(Path.GetTempPath(), $"kafkaml-infer-{spec.InferenceId}-r{request.Replica}-{Guid.NewGuid():N}.bin");
        try
        {
            await RetryAsync(async ct => { await portal.DownloadWeightsAsync(weights, ct); return true; }, cancellationToken);
            var scaler = spec.Scaler is null ? null : FeatureScaler.FromJson(spec.Scaler.ToJsonString());
            var model = await InferenceModelLoader.LoadAsync(spec.ModelCode, weights, scaler, spec.Loss, cancellationToken);
            var decoder = DataFormats.CreateDecoder(spec.InputFormat, spec.InputConfig);
            var options = request.EngineOptions(bootstrap, spec.InputTopic, spec.OutputTopic, spec.ConsumerGroup, spec.ModelName);
            return new Setup(model, decoder, options, $"of inference {spec.InferenceId} ");
        }
        finally
        {
            try { File.Delete(weights); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Retries a portal request that failed for want of a portal (unreachable, 5xx) — it may be restarting — for
    /// about a minute; a refusal (4xx) fails at once.
    /// </summary>
    private static async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> request, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await request(cancellationToken);
            }
            catch (InferencePortalException e) when (attempt < 8 && (e.StatusCode is null || (int)e.StatusCode >= 500))
            {
                await Console.Error.WriteLineAsync($"infer: {e.Message} (attempt {attempt}; retrying in {delay.TotalSeconds:0} s)");
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 15));
            }
        }
    }

    private static async Task<Setup> FromFilesAsync(Request request, CancellationToken cancellationToken)
    {
        var code = await File.ReadAllTextAsync(request.ModelScript!, cancellationToken);
        var scaler = request.Scaler is null ? null : FeatureScaler.Load(request.Scaler);
        var model = await InferenceModelLoader.LoadAsync(code, request.Weights!, scaler, request.Loss, cancellationToken);
        var decoder = DataFormats.CreateDecoder(request.InputFormat, request.InputConfig);
        var bootstrap = request.BootstrapServers
            ?? throw new InferenceSetupException($"Where is Kafka? Give --bootstrap-servers or {JobEnvironment.BootstrapServersVariable}.");
        var options = request.EngineOptions(bootstrap, request.InputTopic!, request.OutputTopic!, request.Group!,
            request.ModelName ?? Path.GetFileNameWithoutExtension(request.ModelScript!));
        return new Setup(model, decoder, options, "");
    }

    private static async Task<int> ServeAsync(Request request, Setup setup, InferencePortalClient? portal, ILogger logger, CancellationTokenSource stopping)
    {
        var options = setup.Options;
        var replica = options.Replica;
        InferenceEngine engine;
        try
        {
            engine = new InferenceEngine(setup.Model, setup.Decoder, options, logger);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"infer: {e.Message}");
            return Failed;
        }

        var progress = new LineProgress(p =>
        {
            var line = p.Kind switch
            {
                InferenceProgressKind.Subscribed =>
                    $"{LinePrefix}{replica} {setup.Description}consuming {options.InputTopic} -> {options.OutputTopic}, group {options.ConsumerGroup}, " +
                    $"model {options.ModelName}, dead letters to {options.DeadLetterTopic}",
                InferenceProgressKind.Assigned => $"{LinePrefix}{replica} assigned {Partitions(p.Partitions)}, holds {Partitions(p.Assignment)}",
                InferenceProgressKind.Revoked => $"{LinePrefix}{replica} revoked {Partitions(p.Partitions)}, holds {Partitions(p.Assignment)}",
                InferenceProgressKind.Lost => $"{LinePrefix}{replica} lost {Partitions(p.Partitions)}, holds {Partitions(p.Assignment)}",
                InferenceProgressKind.Stopping => $"{LinePrefix}{replica} stopping: delivering predictions in flight, committing offsets",
                _ => null,
            };
            if (line is not null) Console.Out.WriteLine(line);
        });

        var run = engine.RunAsync(progress, stopping.Token);
        var reporter = portal is null ? null : new InferenceReporter(portal, engine.Stats.Snapshot, request.StatsInterval, logger);
        var gone = false;
        var reporting = reporter is null
            ? Task.CompletedTask
            : Task.Run(async () =>
            {
                if (await reporter.RunAsync(stopping.Token) == StatsPostOutcome.Gone)
                {
                    gone = true;
                    await Console.Out.WriteLineAsync($"{LinePrefix}{replica}: the portal says the inference was deleted or stopped; stopping");
                    await stopping.CancelAsync();
                }
            });

        // Stats lines while running (only when something changed).
        string? last = null;
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(request.StatsInterval));
            var line = StatsLine(replica, engine.Stats);
            if (line != last) await Console.Out.WriteLineAsync(line);
            last = line;
        }

        var exitCode = 0;
        try
        {
            await run;
        }
        catch (InferenceEngineException e)
        {
            await Console.Error.WriteLineAsync($"infer: {e.Message}");
            exitCode = Failed;
        }
        await stopping.CancelAsync();
        await reporting;
        if (reporter is not null && !gone)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await reporter.PostOnceAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // The final report is best effort.
            }
        }
        await Console.Out.WriteLineAsync($"{LinePrefix}{replica} stopped: {StatsText(engine.Stats)}");
        setup.Model.Module.Dispose();
        return exitCode;
    }

    internal static string StatsLine(string replica, InferenceStats stats) => $"{LinePrefix}{replica} stats: {StatsText(stats)}";

    private static string StatsText(InferenceStats stats)
    {
        var (p50, p99) = stats.Latency();
        return string.Create(CultureInfo.InvariantCulture,
            $"in {stats.MessagesIn}, out {stats.MessagesOut}, errors {stats.Errors}, dead-lettered {stats.DeadLettered}, " +
            $"batches {stats.Batches} (largest {stats.LargestBatch}), latency p50 {Ms(p50)} p99 {Ms(p99)}");
    }

    private static string Ms(double? ms) => ms is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";

    private static string Partitions(IReadOnlyList<int> partitions) => "[" + string.Join(", ", partitions) + "]";

    /// <summary>Calls back synchronously on the reporting thread (the engine's), so lines come out in order.</summary>
    private sealed class LineProgress(Action<InferenceProgress> onReport) : IProgress<InferenceProgress>
    {
        public void Report(InferenceProgress value) => onReport(value);
    }

    private sealed record Request(
        int? InferenceId,
        Uri Portal,
        string? BootstrapServers,
        string Replica,
        int TorchThreads,
        int MaxBatch,
        int LingerMs,
        int? FetchWaitMs,
        TimeSpan StatsInterval,
        IReadOnlyDictionary<string, string> KafkaSettings,
        bool Verbose,
        string? ModelScript,
        string? Weights,
        string? Scaler,
        string? Loss,
        string? ModelName,
        string InputFormat,
        JsonObject InputConfig,
        string? InputTopic,
        string? OutputTopic,
        string? Group)
    {
        public InferenceEngineOptions EngineOptions(string bootstrap, string input, string output, string group, string modelName) => new()
        {
            BootstrapServers = bootstrap,
            InputTopic = input,
            OutputTopic = output,
            ConsumerGroup = group,
            ModelName = modelName,
            Replica = Replica,
            MaxBatch = MaxBatch,
            LingerMs = LingerMs,
            FetchWaitMaxMs = FetchWaitMs ?? KafkaClientConfig.LowLatencyFetchWaitMaxMs,
            KafkaSettings = KafkaSettings,
        };

        public static Request From(CliOptions options)
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
            if (string.IsNullOrWhiteSpace(bootstrap)) bootstrap = null;

            var replica = (options.Get("--replica") ?? Environment.GetEnvironmentVariable(ReplicaVariable))?.Trim();
            if (string.IsNullOrEmpty(replica)) replica = options.Has("--replica") ? throw new CliUsageException("--replica needs a name.") : "0";

            var settings = SendRequest.KafkaSettings(options);

            JsonObject inputConfig;
            try
            {
                inputConfig = KafkaMl.Core.Formats.InputConfig.Parse(options.Get("--input-config")).ToJsonObject();
            }
            catch (DataFormatException e)
            {
                throw new CliUsageException($"--input-config: {e.Message}");
            }
            var format = options.Get("--input-format") ?? RawFormat.FormatName;
            if (!DataFormats.TryGet(format, out _)) throw new CliUsageException($"--input-format: '{format}' is not one of {string.Join(", ", DataFormats.Names)}.");

            var request = new Request(
                inference,
                portal,
                bootstrap,
                replica,
                options.Int("--torch-threads", 1, min: 1, max: 256),
                options.Int("--max-batch", 256, min: 1, max: 100_000),
                options.Int("--linger-ms", 0, min: 0, max: 10_000),
                options.Has("--fetch-wait-ms") ? options.Int("--fetch-wait-ms", 1, min: 0, max: 10_000) : null,
                TimeSpan.FromSeconds(Math.Clamp(options.Double("--stats-interval", 2), 0.1, 3600)),
                settings,
                options.Flag("--verbose"),
                options.Get("--model-script"),
                options.Get("--weights"),
                options.Get("--scaler"),
                options.Get("--loss"),
                options.Get("--model-name"),
                format,
                inputConfig,
                options.Get("--input-topic"),
                options.Get("--output-topic"),
                options.Get("--group"));
            if (inference is null)
            {
                foreach (var required in new[] { "--weights", "--input-topic", "--output-topic", "--group" })
                    if (string.IsNullOrWhiteSpace(options.Get(required))) throw new CliUsageException($"{required} is required without --inference.");
            }
            return request;
        }
    }
}
