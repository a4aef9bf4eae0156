using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using KafkaMl.Core;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>send &lt;csv&gt;</c>: streams a CSV file to a data topic with a client sink, then sends the
/// control message that points a deployment at it. The whole file is checked first (every cell a
/// number, every row encodable in the chosen format), so a bad file sends nothing at all. Progress
/// goes to stderr; stdout carries only the final summary.
/// </summary>
/// <remarks>Exit codes: 0 sent; 1 Kafka or the portal failed; 2 bad options or a bad file (nothing sent); 130 cancelled.</remarks>
public static class SendVerb
{
    public const int Failed = 1;
    public const int BadInput = 2;
    public const int Cancelled = 130;

    public const string Usage =
        """
        usage: KafkaMl.Web send <csv> --deployment ID [options]
          Streams the rows of a CSV file to a data topic, then sends the control message that makes
          deployment ID train on them. The file is checked completely first: a bad cell sends nothing.

          --deployment ID          deployment that trains on the data (required)
          --label COLUMN           label column: header name or 0-based index (default: the first column)
          --features A,B,C         feature columns in order: names or 0-based indexes (default: all others)
          --format raw|avro|json   message format (default raw)
          --data-type TYPE         raw: feature type (default float32)
          --label-type TYPE        raw: label type (default float32; e.g. int64 for class indexes)
                                   types: half, float16, float, float32, double, float64, int8, uint8,
                                   int16, uint16, int32, int64, bool
          --data-reshape "D1 D2"   raw: shape of each sample's features (default flat)
          --avro-data-schema FILE  avro: schema of the features (.avsc)
          --avro-label-schema FILE avro: schema of the label (.avsc); without both schema files, each
                                   is a record of float fields named after the columns
          --topic NAME             data topic (default kafkaml-data-<deployment>)
          --partition N            write every message to partition N (keeps the file's order)
          --validation-rate R      share kept for validation, in [0, 1) (default 0.1)
          --test-rate R            share kept for testing, in [0, 1) (default 0.1)
          --description TEXT       description carried in the control message (default: the file name)
          --bootstrap-servers H:P  Kafka to send to (default: KafkaMl__Kafka__BootstrapServers, else ask the portal)
          --portal URL             running portal to ask for its Kafka (default http://localhost:5080)
          --control-topic NAME     control topic (default: the portal's, else KAFKA_ML_CONTROL_TOPIC)
          --has-header|--no-header whether the first line names the columns (default: it does)
          --delimiter C            field separator: one character, or 'tab' (default ',')
          -X KEY=VALUE             librdkafka producer setting, repeatable (e.g. -X security.protocol=SSL)

        example:
          KafkaMl.Web send samples/hcopd/hcopd.csv --deployment 1 --label Diagnosis
        exit codes: 0 sent, 1 Kafka/portal failure, 2 bad options or file (nothing sent), 130 cancelled
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        SendRequest request;
        try
        {
            var options = CliOptions.Parse(args, SendRequest.Valued, SendRequest.Flags);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(Usage);
                return 0;
            }
            request = SendRequest.From(options);
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"send: {e.Message}");
            await Console.Error.WriteLineAsync("run 'KafkaMl.Web send --help' for the options");
            return BadInput;
        }

        try
        {
            return await new SendCommand(request).RunAsync(cancellationToken);
        }
        catch (SendFailure e)
        {
            await Console.Error.WriteLineAsync($"send: {e.Message}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("send: cancelled before anything was sent.");
            return Cancelled;
        }
    }
}

/// <summary>The reason <c>send</c> stops, with its exit code.</summary>
internal sealed class SendFailure(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>What <c>send</c> was asked to do, every option checked.</summary>
internal sealed record SendRequest
{
    public const string DefaultPortal = "http://localhost:5080";
    public const string BootstrapServersVariable = "KafkaMl__Kafka__BootstrapServers";
    public const string ControlTopicVariable = "KafkaMl__Kafka__ControlTopic";

    public static readonly string[] Valued =
    [
        "--deployment", "--label", "--features", "--format", "--data-type", "--label-type", "--data-reshape",
        "--avro-data-schema", "--avro-label-schema", "--topic", "--partition", "--validation-rate", "--test-rate",
        "--description", "--bootstrap-servers", "--portal", "--control-topic", "--delimiter", "-X",
    ];

    public static readonly string[] Flags = ["--has-header", "--no-header"];

    public required string CsvPath { get; init; }
    public required long DeploymentId { get; init; }
    public string? Label { get; init; }
    public IReadOnlyList<string>? Features { get; init; }
    public required string Format { get; init; }
    public RawFormatConfig Raw { get; init; } = new();
    public string? AvroDataSchemaPath { get; init; }
    public string? AvroLabelSchemaPath { get; init; }
    public required string Topic { get; init; }
    public int? Partition { get; init; }
    public double ValidationRate { get; init; }
    public double TestRate { get; init; }
    public required string Description { get; init; }
    public string? BootstrapServers { get; init; }
    public required Uri Portal { get; init; }
    public string? ControlTopic { get; init; }
    public bool HasHeader { get; init; } = true;
    public char Delimiter { get; init; } = ',';
    public IReadOnlyDictionary<string, string> ProducerSettings { get; init; } = new Dictionary<string, string>();

    public static SendRequest From(CliOptions options)
    {
        var csv = options.Positionals switch
        {
            [] => throw new CliUsageException("which CSV file? usage: KafkaMl.Web send <csv> --deployment ID [options]"),
            [var one] => one,
            [_, var extra, ..] => throw new CliUsageException($"unexpected argument '{extra}': send takes one CSV file."),
        };
        var deployment = options.Long("--deployment", -1, min: 0);
        if (deployment < 0) throw new CliUsageException("--deployment is required: the id of the deployment that trains on this data.");

        var format = options.Get("--format") ?? "raw";
        if (!DataFormats.TryGet(format, out var known))
            throw new CliUsageException($"unknown format '{format}'; use raw, avro or json.");
        format = known.Name;

        var raw = new RawFormatConfig();
        try
        {
            if (options.Get("--data-type") is { } dataType) raw = raw with { DataType = RawDataTypes.Parse(dataType, "--data-type") };
            if (options.Get("--label-type") is { } labelType) raw = raw with { LabelType = RawDataTypes.Parse(labelType, "--label-type") };
            if (options.Get("--data-reshape") is { } reshape) raw = raw with { DataReshape = Reshape.Parse(reshape, "--data-reshape").Text };
        }
        catch (DataFormatException e)
        {
            throw new CliUsageException(e.Message);
        }
        if (format != RawFormat.FormatName && (options.Has("--data-type") || options.Has("--label-type") || options.Has("--data-reshape")))
            throw new CliUsageException($"--data-type, --label-type and --data-reshape are for --format raw, not {format.ToLowerInvariant()}.");
        if (format != AvroFormat.FormatName && (options.Has("--avro-data-schema") || options.Has("--avro-label-schema")))
            throw new CliUsageException($"--avro-data-schema and --avro-label-schema are for --format avro, not {format.ToLowerInvariant()}.");
        if (options.Has("--avro-data-schema") != options.Has("--avro-label-schema"))
            throw new CliUsageException("give both --avro-data-schema and --avro-label-schema, or neither to derive both schemas from the columns.");

        var validation = Rate(options, "--validation-rate", 0.1);
        var test = Rate(options, "--test-rate", 0.1);
        if (validation + test >= 1)
            throw new CliUsageException($"--validation-rate + --test-rate = {(validation + test).ToString("0.###", CultureInfo.InvariantCulture)} leaves nothing to train on; their sum must be below 1.");

        var topic = options.Get("--topic") ?? $"kafkaml-data-{deployment}";
        if (TopicNames.Problem(topic) is { } topicProblem) throw new CliUsageException($"--topic: {topicProblem}");
        var controlTopic = options.Get("--control-topic");
        if (controlTopic is not null && TopicNames.Problem(controlTopic) is { } controlProblem)
            throw new CliUsageException($"--control-topic: {controlProblem}");

        int? partition = options.Has("--partition") ? options.Int("--partition", 0, min: 0) : null;

        var bootstrap = options.Get("--bootstrap-servers");
        if (bootstrap is not null && string.IsNullOrWhiteSpace(bootstrap)) throw new CliUsageException("--bootstrap-servers is empty.");

        var portalText = options.Get("--portal") ?? DefaultPortal;
        if (!Uri.TryCreate(portalText, UriKind.Absolute, out var portal) || portal.Scheme is not ("http" or "https"))
            throw new CliUsageException($"--portal must be an http(s) URL such as {DefaultPortal}, not '{portalText}'.");

        if (options.Flag("--has-header") && options.Flag("--no-header"))
            throw new CliUsageException("--has-header and --no-header contradict each other.");

        return new SendRequest
        {
            CsvPath = InputFile(csv),
            DeploymentId = deployment,
            Label = options.Get("--label"),
            Features = options.Get("--features") is { } features
                ? features.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : null,
            Format = format,
            Raw = raw,
            AvroDataSchemaPath = options.Get("--avro-data-schema") is { } dataSchema ? InputFile(dataSchema) : null,
            AvroLabelSchemaPath = options.Get("--avro-label-schema") is { } labelSchema ? InputFile(labelSchema) : null,
            Topic = topic,
            Partition = partition,
            ValidationRate = validation,
            TestRate = test,
            Description = options.Get("--description") ?? Path.GetFileName(csv),
            BootstrapServers = bootstrap?.Trim(),
            Portal = portal,
            ControlTopic = controlTopic,
            HasHeader = !options.Flag("--no-header"),
            Delimiter = ParseDelimiter(options.Get("--delimiter")),
            ProducerSettings = KafkaSettings(options),
        };
    }

    /// <summary>
    /// The librdkafka settings of every verb: the cluster's security settings from the environment (the
    /// <c>KafkaMl__Kafka__...</c> variables the portal gives its jobs, see <see cref="KafkaSecurity"/>), then
    /// <c>-X key=value</c> (kcat's spelling), which win.
    /// </summary>
    internal static Dictionary<string, string> KafkaSettings(CliOptions options, Func<string, string?>? environment = null)
    {
        var security = KafkaSecurity.FromEnvironment(environment ?? Environment.GetEnvironmentVariable);
        if (KafkaSecurity.Problems(security) is { Count: > 0 } problems)
            throw new CliUsageException($"the Kafka security settings in the environment cannot work: {string.Join(" ", problems)}");
        var settings = new Dictionary<string, string>(KafkaSecurity.ClientSettings(security), StringComparer.Ordinal);
        foreach (var item in options.All("-X"))
        {
            var equals = item.IndexOf('=');
            if (equals <= 0) throw new CliUsageException($"-X takes a librdkafka setting as key=value, not '{item}'.");
            settings[item[..equals].Trim()] = item[(equals + 1)..];
        }
        return settings;
    }

    /// <summary>
    /// A relative input path as given when it exists; otherwise the first match in a parent directory.
    /// <c>dotnet run --project KafkaMl.Web</c> starts the verb in the project directory, so a path
    /// typed at the repository root (<c>samples/hcopd/hcopd.csv</c>) is found one level up.
    /// </summary>
    internal static string InputFile(string path)
    {
        if (path.Length == 0 || Path.IsPathRooted(path) || File.Exists(path)) return path;
        for (var dir = Directory.GetParent(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate)) return candidate;
        }
        return path;
    }

    private static double Rate(CliOptions options, string name, double fallback)
    {
        var rate = options.Double(name, fallback);
        return rate is >= 0 and < 1 ? rate : throw new CliUsageException($"{name} {options.Get(name)} is outside [0, 1).");
    }

    private static char ParseDelimiter(string? text) => text switch
    {
        null => ',',
        "tab" or "\\t" or "\t" => '\t',
        { Length: 1 } one when one[0] is not ('"' or '\r' or '\n') => one[0],
        _ => throw new CliUsageException($"--delimiter must be one character (or 'tab'), not '{text}'."),
    };
}

/// <summary>One run of <c>send</c>: check the file, find Kafka, stream, announce, summarise.</summary>
internal sealed class SendCommand(SendRequest request)
{
    private static readonly TimeSpan PortalTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan KafkaProbeTimeout = TimeSpan.FromSeconds(15);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var csvOptions = new CsvSampleOptions
        {
            Label = request.Label,
            Features = request.Features,
            HasHeader = request.HasHeader,
            Delimiter = request.Delimiter,
        };
        var fileName = Path.GetFileName(request.CsvPath);

        // 1. The columns, the format, then every row: nothing is sent unless the whole file is good.
        IReadOnlyList<string> featureNames;
        string labelName;
        using (var header = OpenCsv(csvOptions))
        {
            featureNames = header.FeatureNames;
            labelName = header.LabelName;
        }
        var format = FormatFor(featureNames, labelName);
        var encoder = EncoderFor(format);
        if (new FileInfo(request.CsvPath).Length > 16 << 20)
            await Console.Error.WriteLineAsync($"Checking every row of {fileName} before sending anything...");
        var total = Check(csvOptions, encoder, fileName, cancellationToken);

        // 2. Where Kafka is.
        var (bootstrap, controlTopic, source) = await ResolveKafkaAsync(cancellationToken);
        var sinkOptions = new KafkaSinkOptions
        {
            BootstrapServers = bootstrap,
            Topic = request.Topic,
            ControlTopic = controlTopic,
            DeploymentId = request.DeploymentId,
            Description = request.Description,
            ValidationRate = request.ValidationRate,
            TestRate = request.TestRate,
            Partition = request.Partition,
            ProducerSettings = request.ProducerSettings,
        };
        if (sinkOptions.Validate() is { Count: > 0 } problems) throw new SendFailure(string.Join(" ", problems), SendVerb.BadInput);
        Probe(bootstrap, source, request.ProducerSettings, cancellationToken);

        // 3. Stream, then announce.
        await Console.Error.WriteLineAsync(
            $"Sending {ConsoleProgress.Count(total)} samples from {Path.GetFullPath(request.CsvPath)} (label {labelName}; {featureNames.Count} feature{(featureNames.Count == 1 ? "" : "s")}: " +
            $"{string.Join(", ", featureNames)}) to {request.Topic} at {bootstrap} (from {source}) as {DescribeFormat(format)}");

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddSimpleConsole(console => console.SingleLine = true)
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
        using var sink = CreateSink(format, sinkOptions with { Logger = loggerFactory.CreateLogger("KafkaMl.Send") });
        var progress = ConsoleProgress.ForStandardError(total, "send");
        using var rendering = new CancellationTokenSource();
        var renderer = progress.RunAsync(() => sink.Progress, rendering.Token);

        SinkResult result;
        try
        {
            using (var csv = OpenCsv(csvOptions))
            {
                while (csv.MoveNext())
                {
                    if ((csv.Count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                    sink.Send(csv.Features, csv.Label);
                }
                if (csv.Count != total)
                    throw new SendFailure($"{fileName} changed while it was being sent ({total} rows when checked, {csv.Count} now); no control message was sent.", SendVerb.Failed);
            }
            result = await sink.CompleteAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or SinkDeliveryException or CsvSampleException or DataFormatException or SendFailure)
        {
            await rendering.CancelAsync();
            await renderer;
            progress.Abandon();
            throw e switch
            {
                OperationCanceledException => new SendFailure(
                    $"cancelled after {ConsoleProgress.Count(sink.MessagesSent)} of {ConsoleProgress.Count(total)} messages; no control message was sent, so no deployment will train on them.",
                    SendVerb.Cancelled),
                SinkDeliveryException delivery => new SendFailure(delivery.Message, SendVerb.Failed),
                SendFailure failure => failure,
                _ => new SendFailure($"{fileName} changed while it was being sent: {e.Message} No control message was sent.", SendVerb.Failed),
            };
        }
        await rendering.CancelAsync();
        await renderer;
        progress.Finish(sink.Progress);

        var control = result.ControlMessage!;
        var summary = new StringBuilder()
            .AppendLine($"messages:    {result.Messages}")
            .AppendLine($"bytes:       {result.Bytes} ({ConsoleProgress.Bytes(result.Bytes)})")
            .AppendLine($"elapsed:     {ConsoleProgress.Seconds(result.Elapsed)}")
            .AppendLine($"rate:        {ConsoleProgress.Count((long)result.MessagesPerSecond)} msg/s")
            .AppendLine($"ranges:      {control.Topic}")
            .AppendLine($"deployment:  {request.DeploymentId}")
            .Append($"control:     {control.InputFormat} on {controlTopic}, total_msg {control.TotalMsg}, ")
            .AppendLine($"validation_rate {Show(control.ValidationRate)}, test_rate {Show(control.TestRate)}");
        await Console.Out.WriteAsync(summary.ToString());
        await Console.Out.FlushAsync(CancellationToken.None);
        return 0;
    }

    // ---- the file ----

    private CsvSamples OpenCsv(CsvSampleOptions options)
    {
        try
        {
            return CsvSamples.Open(request.CsvPath, options);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SendFailure($"the CSV file '{request.CsvPath}' does not exist.", SendVerb.BadInput);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SendFailure($"the CSV file '{request.CsvPath}' cannot be read: {e.Message}", SendVerb.BadInput);
        }
        catch (CsvSampleException e)
        {
            throw new SendFailure($"{Path.GetFileName(request.CsvPath)}: {e.Message} Nothing was sent.", SendVerb.BadInput);
        }
    }

    /// <summary>Reads and encodes every row once, without sending; returns the number of samples.</summary>
    private long Check(CsvSampleOptions options, IDataEncoder encoder, string fileName, CancellationToken cancellationToken)
    {
        using var csv = OpenCsv(options);
        try
        {
            while (csv.MoveNext())
            {
                if ((csv.Count & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                encoder.Encode(csv.Features, csv.Label);
            }
        }
        catch (CsvSampleException e)
        {
            throw new SendFailure($"{fileName}: {e.Message} Nothing was sent.", SendVerb.BadInput);
        }
        catch (DataFormatException e)
        {
            throw new SendFailure($"{fileName}: line {csv.Line}: {e.Message} Nothing was sent.", SendVerb.BadInput);
        }
        catch (OperationCanceledException)
        {
            throw new SendFailure("cancelled while checking the file; nothing was sent.", SendVerb.Cancelled);
        }
        return csv.Count > 0
            ? csv.Count
            : throw new SendFailure($"{fileName} has no rows{(request.HasHeader ? " after its header" : "")}; nothing was sent.", SendVerb.BadInput);
    }

    // ---- the format ----

    private object FormatFor(IReadOnlyList<string> featureNames, string labelName)
    {
        switch (request.Format)
        {
            case RawFormat.FormatName:
                return request.Raw;
            case JsonFormat.FormatName:
                // Objects of named fields when the columns have names; plain arrays otherwise.
                return new JsonFormatConfig(request.HasHeader ? featureNames : null);
            case AvroFormat.FormatName:
                if (request.AvroDataSchemaPath is { } dataPath && request.AvroLabelSchemaPath is { } labelPath)
                    return new AvroFormatConfig(ReadSchema(dataPath, "--avro-data-schema"), ReadSchema(labelPath, "--avro-label-schema"));
                return new AvroFormatConfig(AvroRecordSchema("KafkaMlData", featureNames), AvroRecordSchema("KafkaMlLabel", [labelName]));
            default:
                throw new SendFailure($"unknown format '{request.Format}'; use raw, avro or json.", SendVerb.BadInput);
        }
    }

    private static IDataEncoder EncoderFor(object format)
    {
        try
        {
            return format switch
            {
                RawFormatConfig raw => new RawEncoder(raw),
                JsonFormatConfig json => new JsonEncoder(json),
                AvroFormatConfig avro => new AvroEncoder(avro),
                _ => throw new InvalidOperationException(format.GetType().Name),
            };
        }
        catch (DataFormatException e)
        {
            throw new SendFailure($"{e.Message} Nothing was sent.", SendVerb.BadInput);
        }
    }

    private static KafkaSink CreateSink(object format, KafkaSinkOptions options)
    {
        try
        {
            return format switch
            {
                RawFormatConfig raw => new RawSink(options, raw),
                JsonFormatConfig json => new JsonSink(options, json),
                AvroFormatConfig avro => new AvroSink(options, avro),
                _ => throw new InvalidOperationException(format.GetType().Name),
            };
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KafkaException)
        {
            // librdkafka rejects a -X setting when the producer is built.
            throw new SendFailure($"the Kafka producer cannot be created: {e.Message.TrimEnd('.')}. Nothing was sent.", SendVerb.BadInput);
        }
    }

    private static string DescribeFormat(object format) => format switch
    {
        RawFormatConfig raw => $"RAW ({raw.DataType.Name()} features{(raw.DataReshape.Length > 0 ? $" shaped {raw.DataReshape}" : "")}, {raw.LabelType.Name()} label)",
        JsonFormatConfig json => json.Fields is null ? "JSON (arrays)" : "JSON (objects of named fields)",
        AvroFormatConfig => "AVRO",
        _ => format.ToString() ?? "",
    };

    private static string ReadSchema(string path, string option)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SendFailure($"{option}: cannot read '{path}': {e.Message}", SendVerb.BadInput);
        }
    }

    /// <summary>An Avro record schema of float fields named after the columns (made legal Avro names).</summary>
    internal static string AvroRecordSchema(string recordName, IReadOnlyList<string> columns)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var fields = new JsonArray();
        foreach (var column in columns)
        {
            var name = new string([.. column.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_')]);
            if (name.Length == 0 || char.IsAsciiDigit(name[0])) name = "_" + name;
            var unique = name;
            for (var n = 2; !used.Add(unique); n++) unique = $"{name}_{n}";
            fields.Add(new JsonObject { ["name"] = unique, ["type"] = "float" });
        }
        return new JsonObject { ["type"] = "record", ["name"] = recordName, ["namespace"] = "kafkaml.send", ["fields"] = fields }.ToJsonString();
    }

    // ---- Kafka ----

    private async Task<(string Bootstrap, string ControlTopic, string Source)> ResolveKafkaAsync(CancellationToken cancellationToken)
    {
        if (request.BootstrapServers is { } given)
            return (given, request.ControlTopic ?? FromEnvironment(SendRequest.ControlTopicVariable) ?? KafkaOptions.DefaultControlTopic, "--bootstrap-servers");
        if (FromEnvironment(SendRequest.BootstrapServersVariable) is { } configured)
            return (configured, request.ControlTopic ?? FromEnvironment(SendRequest.ControlTopicVariable) ?? KafkaOptions.DefaultControlTopic, SendRequest.BootstrapServersVariable);

        var statusUrl = new Uri(request.Portal, "/api/status");
        using var http = new HttpClient { Timeout = PortalTimeout };
        JsonElement status;
        try
        {
            using var response = await http.GetAsync(statusUrl, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new SendFailure($"the portal at {request.Portal} answered {(int)response.StatusCode} {response.ReasonPhrase} to GET /api/status. Give the broker with --bootstrap-servers HOST:PORT.", SendVerb.Failed);
            status = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = e is TaskCanceledException ? $"no answer within {PortalTimeout.TotalSeconds:0} s" : e.Message;
            throw new SendFailure(
                $"could not reach the KafkaMl portal at {request.Portal} ({reason}) to ask where Kafka is. " +
                "Start the portal (dotnet run --project KafkaMl.Web), point --portal at it, or give the broker directly with --bootstrap-servers HOST:PORT.",
                SendVerb.Failed);
        }
        catch (JsonException e)
        {
            throw new SendFailure($"the portal at {request.Portal} answered GET /api/status with something that is not JSON ({e.Message}). Give the broker with --bootstrap-servers HOST:PORT.", SendVerb.Failed);
        }

        if (status.ValueKind != JsonValueKind.Object
            || !status.TryGetProperty("kafka", out var kafka) || kafka.ValueKind != JsonValueKind.Object
            || !kafka.TryGetProperty("bootstrapServers", out var servers) || servers.ValueKind != JsonValueKind.String
            || string.IsNullOrWhiteSpace(servers.GetString()))
            throw new SendFailure($"the portal at {request.Portal} did not say where Kafka is (no kafka.bootstrapServers in /api/status). Give the broker with --bootstrap-servers HOST:PORT.", SendVerb.Failed);
        var control = request.ControlTopic
            ?? (kafka.TryGetProperty("controlTopic", out var topic) && topic.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(topic.GetString())
                ? topic.GetString()!
                : KafkaOptions.DefaultControlTopic);
        return (servers.GetString()!, control, $"the portal at {request.Portal}");
    }

    /// <summary>Fails fast, with the address, when no broker answers (instead of waiting out the producer's message timeout).</summary>
    private static void Probe(string bootstrap, string source, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var config = new AdminClientConfig
        {
            BootstrapServers = bootstrap,
            ClientId = "kafkaml-send-probe",
            SocketConnectionSetupTimeoutMs = (int)KafkaProbeTimeout.TotalMilliseconds,
        };
        // The -X settings apply to the probe too: security settings are needed to connect at all, and a
        // setting librdkafka rejects fails here, before anything is sent.
        foreach (var (key, value) in settings) config.Set(key, value);
        IAdminClient admin;
        try
        {
            admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KafkaException)
        {
            throw new SendFailure($"-X: {e.Message.TrimEnd('.')}. Nothing was sent.", SendVerb.BadInput);
        }
        using var _ = admin;
        try
        {
            admin.GetMetadata(KafkaProbeTimeout);
        }
        catch (KafkaException e)
        {
            throw new SendFailure($"no Kafka broker answered at {bootstrap} (from {source}) within {KafkaProbeTimeout.TotalSeconds:0} s: {e.Error.Reason}. Nothing was sent.", SendVerb.Failed);
        }
    }

    private static string? FromEnvironment(string name) =>
        Environment.GetEnvironmentVariable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static string Show(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
