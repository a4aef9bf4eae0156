using KafkaMl.Core.Formats;

namespace KafkaMl.Core.Sinks;

/// <summary>
/// JSON samples: the value is an array of numbers, or an object of <see cref="JsonFormatConfig.Fields"/>;
/// the label is the key as JSON (or the <see cref="JsonFormatConfig.LabelField"/> property of an object value).
/// </summary>
public sealed class JsonSink(KafkaSinkOptions options, JsonFormatConfig? format = null)
    : KafkaSink(options, new JsonEncoder(format ?? new JsonFormatConfig()))
{
    public JsonFormatConfig Format => ((JsonEncoder)Encoder).Config;
}
