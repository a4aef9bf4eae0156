using System.Globalization;
using KafkaMl.Core;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Cli;

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
        "--description", "--bootstrap-servers", "--portal", "--control-topic", "--delimiter", "-X", "--data", "--rate",
        "--unlabelled", "--unlabelled-topic",
    ];

    public static readonly string[] Flags = ["--has-header", "--no-header", "--online"];

    /// <summary>The CSV path that means standard input (<c>--data -</c>).</summary>
    public const string StandardInput = "-";

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

    /// <summary>An online stream (Kafka-ML's OnlineRawSink): the control message first, then the data, with no end.</summary>
    public bool Online { get; init; }

    /// <summary>Messages per second to pace the stream at; null sends as fast as Kafka takes them.</summary>
    public double? MessagesPerSecond { get; init; }

    /// <summary>A CSV of unlabelled samples (<c>--unlabelled</c>) sent after the labelled ones to <see cref="UnlabelledTopic"/>; null when none.</summary>
    public string? UnlabelledPath { get; init; }

    /// <summary>The unsupervised topic (<c>--unlabelled-topic</c>, default <c>&lt;topic&gt;-unlabelled</c>).</summary>
    public string UnlabelledTopic { get; init; } = "";

    /// <summary>Rows come from standard input (<c>--data -</c>), for as long as it stays open.</summary>
    public bool FromStandardInput => CsvPath == StandardInput;

    /// <summary>How the rows are read.</summary>
    public CsvSampleOptions CsvOptions => new() { Label = Label, Features = Features, HasHeader = HasHeader, Delimiter = Delimiter };

    public static SendRequest From(CliOptions options)
    {
        var csv = (options.Positionals, options.Get("--data")) switch
        {
            ([], null) => throw new CliUsageException("which CSV file? usage: KafkaMl.Web send <csv> --deployment ID [options]"),
            ([var one], null) => one,
            ([], { } data) => data,
            ([_, ..], { }) => throw new CliUsageException("give the CSV file either as the argument or with --data, not both."),
            ([_, var extra, ..], null) => throw new CliUsageException($"unexpected argument '{extra}': send takes one CSV file."),
        };
        var online = options.Flag("--online");
        if (csv == StandardInput && !online)
            throw new CliUsageException("--data - (standard input) has no end, so it needs --online: a bounded stream is announced once all of it was sent.");
        double? rate = options.Has("--rate") ? options.Double("--rate", 0) : null;
        if (rate is { } pace && !(pace > 0 && double.IsFinite(pace)))
            throw new CliUsageException($"--rate {options.Get("--rate")} must be a positive number of messages per second.");
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

        var topic = options.Get("--topic") ?? TopicNames.DeploymentData(deployment);
        if (TopicNames.Problem(topic) is { } topicProblem) throw new CliUsageException($"--topic: {topicProblem}");
        var controlTopic = options.Get("--control-topic");
        if (controlTopic is not null && TopicNames.Problem(controlTopic) is { } controlProblem)
            throw new CliUsageException($"--control-topic: {controlProblem}");

        var unlabelledTopic = options.Get("--unlabelled-topic") ?? KafkaSinkOptions.DefaultUnsupervisedTopic(topic);
        if (options.Has("--unlabelled-topic") && !options.Has("--unlabelled"))
            throw new CliUsageException("--unlabelled-topic names where --unlabelled FILE goes; give the file too, or leave it out.");
        if (TopicNames.Problem(unlabelledTopic) is { } unlabelledProblem) throw new CliUsageException($"--unlabelled-topic: {unlabelledProblem}");
        if (unlabelledTopic == topic) throw new CliUsageException("--unlabelled-topic must differ from the data topic.");

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
            CsvPath = csv == StandardInput ? csv : InputFile(csv),
            Online = online,
            UnlabelledPath = options.Get("--unlabelled") is { } unlabelled ? InputFile(unlabelled) : null,
            UnlabelledTopic = unlabelledTopic,
            MessagesPerSecond = rate,
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
            ProducerSettings = VerbKafkaSettings.From(options),
        };
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

    /// <summary>The sink's settings: this request's topic, deployment, rates and producer settings, against the Kafka found.</summary>
    public KafkaSinkOptions SinkOptions(string bootstrap, string controlTopic) => new()
    {
        BootstrapServers = bootstrap,
        Topic = Topic,
        ControlTopic = controlTopic,
        DeploymentId = DeploymentId,
        Description = Description,
        ValidationRate = ValidationRate,
        TestRate = TestRate,
        Partition = Partition,
        ProducerSettings = ProducerSettings,
        Online = Online,
        UnsupervisedTopic = UnlabelledPath is null ? null : UnlabelledTopic,
    };

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
