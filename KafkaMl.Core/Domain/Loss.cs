using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

[JsonConverter(typeof(JsonStringEnumConverter<Loss>))]
public enum Loss
{
    [JsonStringEnumMemberName("cross_entropy")] CrossEntropy,
    [JsonStringEnumMemberName("binary_cross_entropy")] BinaryCrossEntropy,
    [JsonStringEnumMemberName("mse")] Mse,
    [JsonStringEnumMemberName("mae")] Mae,
}
