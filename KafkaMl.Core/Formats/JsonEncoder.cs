using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KafkaMl.Core.Formats;

/// <summary>
/// JSON encoding: the values as an array, or as an object when <c>fields</c> are configured; the label
/// goes into that object's <c>label_field</c> when one is configured, otherwise into the key as JSON.
/// </summary>
public sealed class JsonEncoder : IDataEncoder
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;

    public JsonEncoder(JsonFormatConfig config) => Config = config;

    public JsonFormatConfig Config { get; }

    public string Format => JsonFormat.FormatName;

    public JsonObject InputConfig => Config.ToJson();

    public EncodedMessage Encode(ReadOnlySpan<float> features, ReadOnlySpan<float> label)
    {
        if (features.IsEmpty) throw new DataFormatException("JSON data: there are no values to send.");
        var fields = Config.Fields;
        if (fields is not null && fields.Count != features.Length)
            throw new DataFormatException($"JSON data: input_config.fields names {fields.Count} fields ({string.Join(", ", fields)}) but {features.Length} values were given.");
        var labelInValue = fields is not null && Config.LabelField is not null && !label.IsEmpty;

        var writer = Writer(out var buffer);
        if (fields is null)
        {
            WriteArray(writer, features, "data");
        }
        else
        {
            writer.WriteStartObject();
            for (var i = 0; i < fields.Count; i++)
            {
                writer.WritePropertyName(fields[i]);
                WriteNumber(writer, features[i], "data", i);
            }
            if (labelInValue)
            {
                writer.WritePropertyName(Config.LabelField!);
                if (label.Length == 1) WriteNumber(writer, label[0], "label", 0);
                else WriteArray(writer, label, "label");
            }
            writer.WriteEndObject();
        }
        writer.Flush();
        var value = buffer.WrittenSpan.ToArray();
        if (label.IsEmpty || labelInValue) return new EncodedMessage(null, value);

        writer = Writer(out buffer);
        if (label.Length == 1) WriteNumber(writer, label[0], "label", 0);
        else WriteArray(writer, label, "label");
        writer.Flush();
        return new EncodedMessage(buffer.WrittenSpan.ToArray(), value);
    }

    private static Utf8JsonWriter Writer(out ArrayBufferWriter<byte> buffer)
    {
        buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        if (t_writer is null) t_writer = new Utf8JsonWriter(buffer);
        else t_writer.Reset(buffer);
        return t_writer;
    }

    private static void WriteArray(Utf8JsonWriter writer, ReadOnlySpan<float> values, string part)
    {
        writer.WriteStartArray();
        for (var i = 0; i < values.Length; i++) WriteNumber(writer, values[i], part, i);
        writer.WriteEndArray();
    }

    private static void WriteNumber(Utf8JsonWriter writer, float value, string part, int index)
    {
        if (!float.IsFinite(value))
            throw new DataFormatException($"JSON {part}: element {index} is {value.ToString(CultureInfo.InvariantCulture)}; JSON numbers cannot be NaN or infinite.");
        writer.WriteNumberValue(value);
    }
}
