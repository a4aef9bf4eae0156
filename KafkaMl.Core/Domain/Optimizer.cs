using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

[JsonConverter(typeof(JsonStringEnumConverter<Optimizer>))]
public enum Optimizer
{
    [JsonStringEnumMemberName("sgd")] Sgd,
    [JsonStringEnumMemberName("adam")] Adam,
    [JsonStringEnumMemberName("adamw")] AdamW,
    [JsonStringEnumMemberName("rmsprop")] RmsProp,
}
