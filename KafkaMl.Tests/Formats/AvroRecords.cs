using Avro;
using Avro.Generic;
using Avro.IO;

namespace KafkaMl.Tests.Formats;

/// <summary>Builds Avro datums with Apache.Avro itself (the independent reference for the span codec under test).</summary>
internal static class AvroRecords
{
    public const string HcopdDataScheme = """
        {"namespace": "data.ertis.uma.es",
         "type": "record",
         "name": "HCOPD",
         "fields": [
             {"name": "gender", "type": "float"},
             {"name": "age", "type": "float"},
             {"name": "smoking", "type": "float"}
         ]
        }
        """;

    public const string HcopdLabelScheme = """
        {"namespace": "label.ertis.uma.es",
         "type": "record",
         "name": "HCOPD",
         "fields": [
             {"name": "diagnosis", "type": "boolean"}
         ]
        }
        """;

    /// <summary>A record of every numeric field type, in this order: float, double, int, long, boolean.</summary>
    public const string MixedScheme = """
        {"type": "record", "name": "Mixed", "fields": [
            {"name": "f", "type": "float"},
            {"name": "d", "type": "double"},
            {"name": "i", "type": "int"},
            {"name": "l", "type": "long"},
            {"name": "b", "type": "boolean"}
        ]}
        """;

    /// <summary>A file of the HCOPD sample the repository ships (<c>samples/hcopd/</c>).</summary>
    public static string SharedDataPath(string file) =>
        Path.Combine(KafkaMl.Tests.Support.KafkaMlProcess.RepoRoot, "samples", "hcopd", file);

    public static GenericRecord Record(string schema, params (string Field, object? Value)[] values)
    {
        var record = new GenericRecord((RecordSchema)Schema.Parse(schema));
        foreach (var (field, value) in values) record.Add(field, value);
        return record;
    }

    public static byte[] Write(GenericRecord record)
    {
        using var stream = new MemoryStream();
        new GenericDatumWriter<GenericRecord>(record.Schema).Write(record, new BinaryEncoder(stream));
        return stream.ToArray();
    }

    public static GenericRecord Read(string schema, byte[] bytes)
    {
        var parsed = Schema.Parse(schema);
        return new GenericDatumReader<GenericRecord>(parsed, parsed).Read(null!, new BinaryDecoder(new MemoryStream(bytes)));
    }
}
