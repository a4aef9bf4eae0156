using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

/// <summary>Which direction of a monitored metric is an improvement (Kafka-ML's <c>change</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MetricChange>))]
public enum MetricChange
{
    /// <summary>Higher is better (accuracy).</summary>
    [JsonStringEnumMemberName("up")] Up,

    /// <summary>Lower is better (loss, mse, mae).</summary>
    [JsonStringEnumMemberName("down")] Down,
}
