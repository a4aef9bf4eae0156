using System.Globalization;
using System.Runtime.InteropServices;
using KafkaMl.Core;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Jobs.Training;
using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>train --result ID</c>: the training job of one result (<see cref="TrainingJob"/>), as the runners start it —
/// a child process of the portal or a Kubernetes Job of the same image. The portal URL, the job's token and the
/// broker come from the environment the runner sets (<see cref="JobEnvironment"/>); options override all but the
/// token, which never appears on a command line. Progress lines go to stdout (the runner keeps them as the job's
/// log); a failure's reason goes to stderr too.
/// </summary>
/// <remarks>Exit codes: 0 finished, 1 failed, 2 usage, 130 stopped by Ctrl+C or the portal, 143 stopped by SIGTERM.</remarks>
public static class TrainVerb
{
    public const int Finished = 0;
    public const int Failed = 1;
    public const int BadUsage = 2;
    public const int Interrupted = 130;
    public const int Terminated = 143;

    public const string Usage =
        """
        usage: KafkaMl.Web train --result ID [options]
          Runs the training job of one training result: fetches its spec from the portal, waits for the
          deployment's control message, reads the data ranges it names, trains, tests and uploads the result.

          --result ID              training result to train (required)
          --portal URL             portal base URL (default: KAFKAML_PORTAL_URL)
          --bootstrap-servers H:P  Kafka (default: KafkaMl__Kafka__BootstrapServers)
          --control-topic NAME     control topic (default: KafkaMl__Kafka__ControlTopic, else KAFKA_ML_CONTROL_TOPIC)
          --torch-threads N        TorchSharp threads (default 1: fastest for small models; 0 = one per core)
          --no-standardize         train on the features as they come (default: standardise them)
          --data-timeout SECONDS   fail when the ranges' data stops arriving for this long (default 30)
          -X KEY=VALUE             librdkafka consumer setting, repeatable (e.g. -X security.protocol=SSL)
          The job's token is read from KAFKAML_JOB_TOKEN only.

        exit codes: 0 finished, 1 failed, 2 bad usage, 130 stopped (Ctrl+C or the portal), 143 stopped (SIGTERM)
        """;

    private static readonly string[] Valued = ["--result", "--portal", "--bootstrap-servers", "--control-topic", "--torch-threads", "--data-timeout", "-X"];
    private static readonly string[] Flags = ["--no-standardize"];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        TrainRequest request;
        try
        {
            var options = CliOptions.Parse(args, Valued, Flags);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(Usage);
                return Finished;
            }
            request = TrainRequest.From(options);
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"train: {e.Message}");
            await Console.Error.WriteLineAsync("run 'KafkaMl.Web train --help' for the options");
            return BadUsage;
        }

        // SIGTERM (the runner's stop, kubectl, docker stop) ends the job as quickly as Ctrl+C, with its own exit code.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var terminated = false;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            terminated = true;
            stopping.Cancel();
        });

        var console = new JobConsole(Console.Out);
        if (request.Token is null) console.Report($"warning: {JobEnvironment.TokenVariable} is not set; the portal will refuse the job's reports");
        using var tracing = JobTracing.Start(JobVerbs.Train); // declared first, disposed last: flushes after the last report
        await using var portal = new PortalClient(request.Portal, request.ResultId, request.Token, logger: console);
        var context = new TrainingJobContext
        {
            ResultId = request.ResultId,
            BootstrapServers = request.BootstrapServers,
            ControlTopic = request.ControlTopic,
            TorchThreads = request.TorchThreads,
            StandardizeFeatures = request.Standardize,
            MissingDataTimeout = request.DataTimeout,
            KafkaSettings = request.KafkaSettings,
            KafkaLogger = console,
            Resumable = () => MarkResumable(console),
        };

        var outcome = await TrainingJob.RunAsync(context, portal, console, stopping.Token);
        switch (outcome.Status)
        {
            case TrainingJobStatus.Finished:
                return Finished;
            case TrainingJobStatus.Failed:
                await Console.Error.WriteLineAsync($"train: {outcome.Error}");
                return Failed;
            default:
                return terminated ? Terminated : Interrupted;
        }
    }

    /// <summary>What <c>train</c> was asked to do, every option checked.</summary>
    internal sealed record TrainRequest
    {
        public required int ResultId { get; init; }
        public required Uri Portal { get; init; }
        public string? Token { get; init; }
        public required string BootstrapServers { get; init; }
        public required string ControlTopic { get; init; }
        public int? TorchThreads { get; init; }
        public bool Standardize { get; init; } = true;
        public TimeSpan DataTimeout { get; init; }
        public IReadOnlyDictionary<string, string> KafkaSettings { get; init; } = new Dictionary<string, string>();

        public static TrainRequest From(CliOptions options, Func<string, string?>? environment = null)
        {
            environment ??= Environment.GetEnvironmentVariable;
            if (options.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.");
            var resultId = options.Int("--result", -1, min: 1);
            if (resultId < 0) throw new CliUsageException("--result is required: the id of the training result to train.");

            var portalText = options.Get("--portal") ?? Blank(environment(JobEnvironment.PortalUrlVariable))
                ?? throw new CliUsageException($"no portal: give --portal URL or set {JobEnvironment.PortalUrlVariable}.");
            if (!Uri.TryCreate(portalText, UriKind.Absolute, out var portal) || portal.Scheme is not ("http" or "https"))
                throw new CliUsageException($"the portal must be an http(s) URL such as http://localhost:5080, not '{portalText}'.");

            var bootstrap = Blank(options.Get("--bootstrap-servers")) ?? Blank(environment(JobEnvironment.BootstrapServersVariable))
                ?? throw new CliUsageException($"no Kafka: give --bootstrap-servers HOST:PORT or set {JobEnvironment.BootstrapServersVariable}.");

            var controlTopic = Blank(options.Get("--control-topic")) ?? Blank(environment(JobEnvironment.ControlTopicVariable)) ?? KafkaOptions.DefaultControlTopic;
            if (TopicNames.Problem(controlTopic) is { } topicProblem) throw new CliUsageException($"control topic: {topicProblem}");

            var threads = options.Int("--torch-threads", 1, min: 0, max: 1024);
            var timeout = options.Double("--data-timeout", 30);
            if (!(timeout > 0)) throw new CliUsageException($"--data-timeout must be a positive number of seconds, not {timeout.ToString(CultureInfo.InvariantCulture)}.");

            return new TrainRequest
            {
                ResultId = resultId,
                Portal = portal,
                Token = Blank(environment(JobEnvironment.TokenVariable)),
                BootstrapServers = bootstrap.Trim(),
                ControlTopic = controlTopic.Trim(),
                TorchThreads = threads == 0 ? null : threads,
                Standardize = !options.Flag("--no-standardize"),
                DataTimeout = TimeSpan.FromSeconds(timeout),
                KafkaSettings = VerbKafkaSettings.From(options, environment),
            };
        }

        private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
    }

    /// <summary>Tells the runner (through the file it named) that this job resumes if it is killed and started again.</summary>
    private static void MarkResumable(JobConsole console)
    {
        if (Environment.GetEnvironmentVariable(JobEnvironment.ResumableMarkerVariable) is not { Length: > 0 } marker) return;
        try
        {
            File.WriteAllText(marker, "an incremental training: it resumes from its committed offsets and last model version\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Report($"warning: the runner could not be told that this job resumes ({e.Message}); if it is killed, it is not started again");
        }
    }
}

/// <summary>
/// The job's log: progress lines and warnings, one per line with the time, on one writer (the runner keeps
/// stdout as the job's log). Thread-safe; Kafka's and the portal client's diagnostics below warnings are dropped.
/// </summary>
internal sealed class JobConsole(TextWriter writer) : IProgress<string>, ILogger
{
    private readonly Lock _gate = new();

    public void Report(string value) => Write(value);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var level = logLevel >= LogLevel.Error ? "error" : "warning";
        Write($"{level}: {formatter(state, exception)}");
    }

    private void Write(string line)
    {
        var stamped = $"{DateTimeOffset.Now.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} {line}";
        lock (_gate)
        {
            writer.WriteLine(stamped);
            writer.Flush();
        }
    }
}
