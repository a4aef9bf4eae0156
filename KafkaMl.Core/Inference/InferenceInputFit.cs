using System.Globalization;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Inference;

/// <summary>
/// Whether an inference's input format and config can feed a trained model, checked before anything starts: the
/// number of values one message yields (when the config fixes it) against the number the model was trained on.
/// Messages whose size only they can tell (RAW without <c>data_reshape</c>, JSON) are checked one by one by the
/// replicas instead (<see cref="InferenceModel.Problem"/>), and dead-lettered when they do not fit.
/// </summary>
public static class InferenceInputFit
{
    /// <summary>
    /// Values per message under <paramref name="format"/> and <paramref name="config"/> when the config fixes it
    /// (RAW with a <c>data_reshape</c> without <c>-1</c>, AVRO whose <c>data_scheme</c> has no arrays); null otherwise.
    /// </summary>
    /// <exception cref="DataFormatException">The format is unknown or the config unusable (the message says why).</exception>
    public static long? ValuesPerMessage(string format, InputConfig config)
    {
        switch (DataFormats.Normalize(format))
        {
            case RawFormat.FormatName:
                var raw = RawFormatConfig.From(config);
                return Reshape.Parse(raw.DataReshape, RawFormatConfig.DataReshapeKey).FixedCount;
            case AvroFormat.FormatName:
                var avro = AvroFormatConfig.From(config);
                return AvroLayout.Parse(avro.DataScheme, AvroFormatConfig.DataSchemeKey).FixedCount;
            default:
                DataFormats.CreateDecoder(format, config); // validates the config
                return null;
        }
    }

    /// <summary>
    /// The number of values one sample of the model holds, as its training knew it: the feature scaler's width
    /// (fitted on the samples themselves), else what the training stream's format fixed; null when neither says.
    /// </summary>
    public static long? ModelInputValues(string? scalerJson, string? trainingFormat, string? trainingConfigJson)
    {
        if (!string.IsNullOrWhiteSpace(scalerJson))
        {
            try
            {
                return FeatureScaler.FromJson(scalerJson).FeatureSize;
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or InvalidOperationException)
            {
                // An unreadable scaler says nothing; fall back to the stream.
            }
        }
        if (string.IsNullOrWhiteSpace(trainingFormat)) return null;
        try
        {
            return ValuesPerMessage(trainingFormat, InputConfig.Parse(trainingConfigJson));
        }
        catch (DataFormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why messages of <paramref name="format"/>/<paramref name="config"/> cannot feed a model taking
    /// <paramref name="modelValues"/> values per sample; null when they can (or only the messages can tell).
    /// </summary>
    /// <exception cref="DataFormatException">The format is unknown or the config unusable.</exception>
    public static string? Problem(string format, InputConfig config, long? modelValues)
    {
        var values = ValuesPerMessage(format, config);
        if (values is not { } given || modelValues is not { } wanted || given == wanted) return null;
        var holds = string.Create(CultureInfo.InvariantCulture, $"holds {given} value{(given == 1 ? "" : "s")}, but the model was trained on samples of {wanted}");
        return $"Each {DataFormats.Normalize(format)} message of this input config {holds}; fix the input config (data_reshape, data_scheme) to describe samples the model takes.";
    }
}
