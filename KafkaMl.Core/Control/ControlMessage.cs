using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Core.Control;

/// <summary>
/// The message on the control topic that tells training jobs where a data stream is (DESIGN §3,
/// compatible with Kafka-ML's Python sinks): UTF-8 JSON with snake_case fields, keyed by the
/// deployment id (<see cref="DeploymentKey"/>).
/// </summary>
/// <remarks>
/// Reading is lenient in the ways Kafka-ML's clients differ: unknown fields are ignored;
/// <c>input_config</c> may be an object or a JSON string (and is read from <c>configuration</c>, its
/// name in Kafka-ML's first sinks, when absent); <c>dataset_restrictions</c> may be an
/// object or a JSON string (Kafka-ML's federated sinks send a string); numbers may be sent as numeric
/// strings; missing optional fields take defaults (<c>input_format</c> RAW, empty config and
/// description, rates 0, <c>total_msg</c> the sum of the ranges, no unsupervised topic, not
/// incremental). <see cref="Validate"/> then says what is wrong with the content.
/// An incremental (online) message may name a bare topic instead of ranges: the data keeps coming.
/// </remarks>
public sealed record ControlMessage
{
    public const string DefaultInputFormat = RawFormat.FormatName;

    /// <summary><c>topic</c>: the ranges, <c>topic:partition:start:end,...</c>, or a bare topic for an incremental stream.</summary>
    public required string Topic { get; init; }

    /// <summary><c>input_format</c>: RAW, AVRO or JSON, as sent (any case).</summary>
    public string InputFormat { get; init; } = DefaultInputFormat;

    /// <summary><c>input_config</c>: the format's configuration.</summary>
    public InputConfig InputConfig { get; init; } = InputConfig.Empty;

    /// <summary><c>description</c>.</summary>
    public string Description { get; init; } = "";

    /// <summary><c>validation_rate</c>: the share of the messages kept for validation, in [0, 1).</summary>
    public double ValidationRate { get; init; }

    /// <summary><c>test_rate</c>: the share of the messages kept for testing, in [0, 1).</summary>
    public double TestRate { get; init; }

    /// <summary><c>total_msg</c>: the number of messages in the ranges; null for an open-ended stream.</summary>
    public long? TotalMsg { get; init; }

    /// <summary><c>unsupervised_topic</c>: ranges (or a topic) of unlabelled data; null when none.</summary>
    public string? UnsupervisedTopic { get; init; }

    /// <summary><c>dataset_restrictions</c>: as sent (an object, or a string holding one); null means <c>{}</c>.</summary>
    public JsonNode? DatasetRestrictions { get; init; }

    /// <summary><c>incremental</c>: an online stream that trains as data arrives.</summary>
    public bool Incremental { get; init; }

    /// <summary>True when <see cref="Topic"/> is a bare topic name (an incremental stream with no ranges).</summary>
    public bool IsOpenStream => Incremental && !Topic.Contains(':');

    /// <summary>The ranges in <see cref="Topic"/>; throws <see cref="ControlMessageException"/> when it holds none.</summary>
    public IReadOnlyList<TopicRange> GetRanges() => TopicRanges.Parse(Topic);

    /// <summary>A decoder for the data the message points at; throws <see cref="DataFormatException"/>.</summary>
    public IDataDecoder CreateDecoder() => DataFormats.CreateDecoder(InputFormat, InputConfig);

    /// <summary>The control message for data written to <paramref name="ranges"/>; <c>total_msg</c> is their sum.</summary>
    public static ControlMessage ForRanges(
        IEnumerable<TopicRange> ranges, string inputFormat, InputConfig inputConfig,
        string description = "", double validationRate = 0, double testRate = 0)
    {
        var list = ranges.ToList();
        return new ControlMessage
        {
            Topic = TopicRanges.Format(list),
            InputFormat = DataFormats.Normalize(inputFormat),
            InputConfig = inputConfig,
            Description = description,
            ValidationRate = validationRate,
            TestRate = testRate,
            TotalMsg = TopicRanges.Total(list),
        };
    }

    // ---- reading ----

    /// <summary>Parses the UTF-8 JSON of a control message; throws <see cref="ControlMessageException"/> when it is not one.</summary>
    public static ControlMessage Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(utf8Json);
        }
        catch (JsonException e)
        {
            throw new ControlMessageException($"The control message is not valid JSON: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ControlMessageException($"The control message is not valid JSON: {e.Message}", e);
        }
        return FromJson(root);
    }

    public static ControlMessage Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));

    public static bool TryParse(ReadOnlySpan<byte> utf8Json, out ControlMessage? message, out string? problem)
    {
        try
        {
            message = Parse(utf8Json);
            problem = null;
            return true;
        }
        catch (ControlMessageException e)
        {
            message = null;
            problem = e.Message;
            return false;
        }
    }

    /// <summary>
    /// Reads a control message as it comes off the control topic: decodes the key, parses the value
    /// and validates it. Throws <see cref="ControlMessageException"/> with the rejection reason.
    /// </summary>
    public static ReceivedControlMessage Read(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var deploymentId = DeploymentKey.Decode(key);
        if (value.IsEmpty) throw new ControlMessageException("The control message has no value.");
        var message = Parse(value).EnsureValid();
        return new ReceivedControlMessage(deploymentId, message);
    }

    /// <summary><see cref="Read"/> without exceptions: false with the rejection reason.</summary>
    public static bool TryRead(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ReceivedControlMessage received, out string? problem)
    {
        try
        {
            received = Read(key, value);
            problem = null;
            return true;
        }
        catch (ControlMessageException e)
        {
            received = default;
            problem = e.Message;
            return false;
        }
    }

    private static ControlMessage FromJson(JsonNode? root)
    {
        if (root is not JsonObject json)
            throw new ControlMessageException($"The control message must be a JSON object; got {InputConfig.Describe(root)}.");

        var topic = Text(json, "topic");
        if (string.IsNullOrWhiteSpace(topic))
            throw new ControlMessageException("The control message has no topic (the topic:partition:start:end ranges of the data).");
        topic = topic.Trim();

        InputConfig config;
        try
        {
            // Kafka-ML's first sinks called it "configuration".
            config = InputConfig.From(json["input_config"] ?? json["configuration"]);
        }
        catch (DataFormatException e)
        {
            throw new ControlMessageException(e.Message, e);
        }

        var incremental = Flag(json, "incremental");
        var total = Whole(json, "total_msg");
        if (total is null && !incremental && TopicRanges.TryParse(topic, out var ranges, out _))
            total = TopicRanges.Total(ranges);

        var restrictions = json["dataset_restrictions"];
        return new ControlMessage
        {
            Topic = topic,
            InputFormat = Text(json, "input_format") is { Length: > 0 } format ? format.Trim() : DefaultInputFormat,
            InputConfig = config,
            Description = Text(json, "description") ?? "",
            ValidationRate = Number(json, "validation_rate") ?? 0,
            TestRate = Number(json, "test_rate") ?? 0,
            TotalMsg = total,
            UnsupervisedTopic = Text(json, "unsupervised_topic") is { } unsupervised && !string.IsNullOrWhiteSpace(unsupervised) ? unsupervised.Trim() : null,
            DatasetRestrictions = restrictions?.DeepClone(),
            Incremental = incremental,
        };
    }

    private static string? Text(JsonObject json, string name) => json[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Null => null,
        JsonValue v => v.ToJsonString(),
        var other => throw new ControlMessageException($"{name} must be a string; got {InputConfig.Describe(other)}."),
    };

    private static double? Number(JsonObject json, string name)
    {
        var node = json[name];
        if (node is null) return null;
        if (node is JsonValue v)
        {
            switch (v.GetValueKind())
            {
                case JsonValueKind.Null:
                    return null;
                case JsonValueKind.Number:
                    return v.GetValue<double>();
                case JsonValueKind.String when double.TryParse(v.GetValue<string>(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed):
                    return parsed;
            }
        }
        throw new ControlMessageException($"{name} must be a number; got {InputConfig.Describe(node)}.");
    }

    private static long? Whole(JsonObject json, string name)
    {
        var number = Number(json, name);
        if (number is null) return null;
        if (number.Value != Math.Floor(number.Value) || Math.Abs(number.Value) > 9e15)
            throw new ControlMessageException($"{name} must be a whole number; got {number.Value.ToString(CultureInfo.InvariantCulture)}.");
        return (long)number.Value;
    }

    private static bool Flag(JsonObject json, string name)
    {
        var node = json[name];
        if (node is JsonValue v)
        {
            switch (v.GetValueKind())
            {
                case JsonValueKind.Null:
                    return false;
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                case JsonValueKind.Number when v.GetValue<double>() is 0 or 1:
                    return v.GetValue<double>() == 1;
                case JsonValueKind.String when bool.TryParse(v.GetValue<string>(), out var parsed):
                    return parsed;
            }
        }
        return node is null ? false : throw new ControlMessageException($"{name} must be true or false; got {InputConfig.Describe(node)}.");
    }

    // ---- validation ----

    /// <summary>Every reason to reject the message (empty when it is usable), each a sentence for a log or a user.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();

        if (!DataFormats.TryGet(InputFormat, out var format))
        {
            problems.Add($"input_format '{InputFormat}' is not a known input format; use one of {string.Join(", ", DataFormats.Names)}.");
        }
        else
        {
            try
            {
                format.CreateDecoder(InputConfig);
            }
            catch (DataFormatException e)
            {
                problems.Add($"input_config does not configure {format.Name}: {e.Message}");
            }
        }

        CheckRate(problems, "validation_rate", ValidationRate);
        CheckRate(problems, "test_rate", TestRate);
        if (ValidationRate + TestRate >= 1)
            problems.Add($"validation_rate + test_rate = {Show(ValidationRate + TestRate)} leaves nothing to train on; their sum must be below 1.");

        if (IsOpenStream)
        {
            if (TopicNames.Problem(Topic) is { } topicProblem) problems.Add($"topic: {topicProblem}");
        }
        else if (!TopicRanges.TryParse(Topic, out var ranges, out var rangeProblem))
        {
            problems.Add(rangeProblem!);
        }
        else
        {
            var sum = TopicRanges.Total(ranges);
            if (sum == 0 && !Incremental)
                problems.Add($"topic: the ranges '{Topic}' hold no messages.");
            if (TotalMsg is { } total && total != sum)
                problems.Add($"total_msg {total} does not equal the {sum} messages in the ranges '{Topic}'.");
        }

        if (UnsupervisedTopic is { } unsupervised)
        {
            if (unsupervised.Contains(':'))
            {
                if (!TopicRanges.TryParse(unsupervised, out _, out var unsupervisedProblem))
                    problems.Add("unsupervised_" + unsupervisedProblem);
            }
            else if (TopicNames.Problem(unsupervised) is { } unsupervisedName)
            {
                problems.Add($"unsupervised_topic: {unsupervisedName}");
            }
        }
        return problems;
    }

    /// <summary>Returns this message when it is valid; otherwise throws <see cref="ControlMessageException"/> naming every problem.</summary>
    public ControlMessage EnsureValid()
    {
        var problems = Validate();
        return problems.Count == 0
            ? this
            : throw new ControlMessageException(problems.Count == 1 ? problems[0] : "The control message is invalid: " + string.Join(" ", problems));
    }

    private static void CheckRate(List<string> problems, string name, double rate)
    {
        if (double.IsNaN(rate) || rate < 0 || rate >= 1)
            problems.Add($"{name} {Show(rate)} is outside [0, 1).");
    }

    private static string Show(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    // ---- writing ----

    /// <summary>The message as UTF-8 JSON (snake_case; <c>input_config</c> as an object, as Kafka-ML sends it).</summary>
    public byte[] ToUtf8Json()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("topic", Topic);
            writer.WriteString("input_format", InputFormat);
            writer.WritePropertyName("input_config");
            InputConfig.ToJsonObject().WriteTo(writer);
            writer.WriteString("description", Description);
            writer.WriteNumber("validation_rate", ValidationRate);
            writer.WriteNumber("test_rate", TestRate);
            if (TotalMsg is { } total) writer.WriteNumber("total_msg", total);
            else writer.WriteNull("total_msg");
            if (UnsupervisedTopic is { } unsupervised) writer.WriteString("unsupervised_topic", unsupervised);
            else writer.WriteNull("unsupervised_topic");
            writer.WritePropertyName("dataset_restrictions");
            if (DatasetRestrictions is null) writer.WriteRawValue("{}");
            else DatasetRestrictions.WriteTo(writer);
            writer.WriteBoolean("incremental", Incremental);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public string ToJson() => System.Text.Encoding.UTF8.GetString(ToUtf8Json());
}

/// <summary>A control message as read off the control topic: the deployment it is for, and the message.</summary>
public readonly record struct ReceivedControlMessage(long DeploymentId, ControlMessage Message);
