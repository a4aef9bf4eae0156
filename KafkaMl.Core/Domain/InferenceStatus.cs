using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

/// <summary>created → deployed (submitted) → running → stopped | failed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InferenceStatus>))]
public enum InferenceStatus
{
    [JsonStringEnumMemberName("created")] Created,
    [JsonStringEnumMemberName("deployed")] Deployed,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("stopped")] Stopped,
    [JsonStringEnumMemberName("failed")] Failed,
}
