using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;

namespace KafkaMl.Core.Federated;

/// <summary>
/// A dataset a site announced on its own broker's <see cref="FederatedTopics.DataControl"/> (Kafka-ML's
/// <c>FederatedRawSink</c>): a control message with the usual fields plus <c>dataset_restrictions</c>. Nothing of it
/// leaves the site; the agent only matches it against the cloud's model announcements.
/// </summary>
/// <param name="Key">The message key as text (Kafka-ML's sinks key it by their deployment id; a site may use any).</param>
/// <param name="Control">The control message: where the data is on the site's broker and how to decode it.</param>
/// <param name="Restrictions">The <c>dataset_restrictions</c> object (an object, or a string holding one; <c>{}</c> when absent).</param>
public sealed record SiteDataset(string Key, ControlMessage Control, JsonObject Restrictions)
{
    /// <summary>Samples in the dataset's ranges; null for an incremental (open) stream.</summary>
    public long? Samples => Control.IsOpenStream ? null : Control.TotalMsg;

    /// <summary>The shape of one sample as the dataset declares it (RAW's <c>data_reshape</c>); null when it does not.</summary>
    public IReadOnlyList<long>? SampleShape
    {
        get
        {
            if (!string.Equals(DataFormats.Normalize(Control.InputFormat), RawFormat.FormatName, StringComparison.Ordinal)) return null;
            var reshape = Reshape.Parse(Control.InputConfig.GetString(RawFormatConfig.DataReshapeKey), RawFormatConfig.DataReshapeKey);
            return reshape.IsFlat || reshape.HasInferredDimension ? null : [.. reshape.Dims.Select(d => (long)d)];
        }
    }

    /// <summary>Reads a message of the data control topic; throws <see cref="ControlMessageException"/> saying why it is unusable.</summary>
    public static SiteDataset Read(string key, ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) throw new ControlMessageException("The dataset message has no value.");
        var control = ControlMessage.Parse(value).EnsureValid();
        return new SiteDataset(key, control, RestrictionsOf(control.DatasetRestrictions));
    }

    /// <summary><c>dataset_restrictions</c> as an object: an object as sent, a string parsed, absent or null as <c>{}</c>.</summary>
    public static JsonObject RestrictionsOf(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return [];
            case JsonObject obj:
                return (JsonObject)obj.DeepClone();
            case JsonValue value when value.GetValueKind() == JsonValueKind.Null:
                return [];
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                if (string.IsNullOrWhiteSpace(text)) return [];
                try
                {
                    return JsonNode.Parse(text) as JsonObject
                        ?? throw new ControlMessageException($"dataset_restrictions must hold a JSON object; got '{text}'.");
                }
                catch (JsonException e)
                {
                    throw new ControlMessageException($"dataset_restrictions holds no valid JSON: {e.Message}", e);
                }
            default:
                throw new ControlMessageException($"dataset_restrictions must be a JSON object (or a string holding one); got {InputConfig.Describe(node)}.");
        }
    }
}
