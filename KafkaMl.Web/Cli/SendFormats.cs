using System.Text.Json.Nodes;
using Confluent.Kafka;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli;

/// <summary>
/// The message format <c>send</c> writes: the format's settings from the request and the file's columns (a format config
/// record), its encoder (to check every row before sending) and its sink.
/// </summary>
internal static class SendFormats
{
    public static object For(SendRequest request, IReadOnlyList<string> featureNames, string labelName)
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

    public static IDataEncoder Encoder(object format)
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

    public static KafkaSink Sink(object format, KafkaSinkOptions options)
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

    public static string Describe(object format) => format switch
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
}
