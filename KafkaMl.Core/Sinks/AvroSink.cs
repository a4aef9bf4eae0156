using KafkaMl.Core.Formats;

namespace KafkaMl.Core.Sinks;

/// <summary>
/// Kafka-ML's <c>AvroSink</c> in .NET: values are Avro datums of <see cref="AvroFormatConfig.DataScheme"/>,
/// keys datums of <see cref="AvroFormatConfig.LabelScheme"/> (bare binary, no registry framing).
/// Send either float vectors (laid out in schema order) or Apache.Avro records.
/// </summary>
public sealed class AvroSink : KafkaSink
{
    private readonly Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord> _dataWriter;
    private readonly Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord>? _labelWriter;

    public AvroSink(KafkaSinkOptions options, AvroFormatConfig format) : base(options, new AvroEncoder(format))
    {
        var encoder = (AvroEncoder)Encoder;
        _dataWriter = new Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord>(encoder.DataSchema);
        _labelWriter = encoder.LabelSchema is { } label ? new Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord>(label) : null;
    }

    /// <summary>An AvroSink for the schemas in two <c>.avsc</c> files, as Kafka-ML's AvroSink is built.</summary>
    public static AvroSink FromSchemaFiles(KafkaSinkOptions options, string dataSchemePath, string? labelSchemePath) =>
        new(options, AvroFormatConfig.FromFiles(dataSchemePath, labelSchemePath));

    public AvroFormatConfig Format => ((AvroEncoder)Encoder).Config;

    /// <summary>The parsed data schema, to build records with.</summary>
    public Avro.RecordSchema DataSchema => ((AvroEncoder)Encoder).DataSchema as Avro.RecordSchema
        ?? throw new InvalidOperationException("data_scheme is not a record schema; send float vectors instead.");

    /// <summary>The parsed label schema, to build records with; null when there is none or it is not a record.</summary>
    public Avro.RecordSchema? LabelSchema => ((AvroEncoder)Encoder).LabelSchema as Avro.RecordSchema;

    /// <summary>Sends a record pair, as Kafka-ML's <c>send_avro(data, label)</c>.</summary>
    public void Send(Avro.Generic.GenericRecord data, Avro.Generic.GenericRecord? label)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (label is not null && _labelWriter is null)
            throw new DataFormatException($"AVRO label: a label was given but input_config has no {AvroFormatConfig.LabelSchemeKey}.");
        SendEncoded(Write(_dataWriter, data), label is null ? null : Write(_labelWriter!, label));
    }

    private static byte[] Write(Avro.Generic.GenericDatumWriter<Avro.Generic.GenericRecord> writer, Avro.Generic.GenericRecord record)
    {
        using var stream = new MemoryStream(64);
        try
        {
            writer.Write(record, new Avro.IO.BinaryEncoder(stream));
        }
        catch (Avro.AvroException e)
        {
            throw new DataFormatException($"AVRO: the record does not match its schema: {e.Message}", e);
        }
        return stream.ToArray();
    }
}
