using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using KafkaMl.Core.Domain;

namespace KafkaMl.Core.Federated;

/// <summary>How a site trains locally each round: the deployment's settings.</summary>
public sealed record LocalTrainingSettings(
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("epochs")] int Epochs,
    [property: JsonPropertyName("learning_rate")] double LearningRate,
    [property: JsonPropertyName("optimizer")] string Optimizer,
    [property: JsonPropertyName("loss")] string Loss,
    [property: JsonPropertyName("metrics")] IReadOnlyList<string> Metrics,
    [property: JsonPropertyName("shuffle")] bool Shuffle,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("validation_rate")] double? ValidationRate);

/// <summary>
/// The coordinator's message on the cloud's <see cref="FederatedTopics.ModelControl"/> (UTF-8 JSON, snake_case, key = the
/// result id): the model (its script, input and output shape), what data it wants (<c>data_restriction</c>,
/// <c>min_data</c>), where the round topics are, and how sites train. <c>state</c> <c>closed</c> ends it: workers stop.
/// </summary>
public sealed record ModelAnnouncement
{
    public const string Open = "open";
    public const string Closed = "closed";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [JsonPropertyName("deployment_id")] public int DeploymentId { get; init; }
    [JsonPropertyName("result_id")] public int ResultId { get; init; }
    [JsonPropertyName("state")] public string State { get; init; } = Open;
    [JsonPropertyName("model_name")] public string ModelName { get; init; } = "";
    [JsonPropertyName("model_code")] public string ModelCode { get; init; } = "";
    [JsonPropertyName("input_shape")] public long[]? InputShape { get; init; }
    [JsonPropertyName("output_shape")] public long[]? OutputShape { get; init; }
    [JsonPropertyName("data_restriction")] public JsonObject DataRestriction { get; init; } = [];
    [JsonPropertyName("min_data")] public long MinData { get; init; }
    [JsonPropertyName("rounds")] public int Rounds { get; init; }
    [JsonPropertyName("global_topic")] public string GlobalTopic { get; init; } = "";
    [JsonPropertyName("update_topic")] public string UpdateTopic { get; init; } = "";
    [JsonPropertyName("aggregation")] public string Aggregation { get; init; } = Domain.Aggregation.FedAvg.ToName();
    [JsonPropertyName("mu")] public double? Mu { get; init; }
    [JsonPropertyName("clip_norm")] public double? ClipNorm { get; init; }
    [JsonPropertyName("noise_multiplier")] public double? NoiseMultiplier { get; init; }
    [JsonPropertyName("standardize")] public bool Standardize { get; init; }
    [JsonPropertyName("training")] public required LocalTrainingSettings Training { get; init; }

    public bool IsOpen => State == Open;

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Parses an announcement; throws <see cref="InvalidDataException"/> saying why it is unusable.</summary>
    public static ModelAnnouncement Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var announcement = JsonSerializer.Deserialize<ModelAnnouncement>(utf8Json, Json) ?? throw new InvalidDataException("The announcement is null.");
            if (announcement.ResultId <= 0) throw new InvalidDataException("The announcement names no result_id.");
            if (string.IsNullOrWhiteSpace(announcement.GlobalTopic) || string.IsNullOrWhiteSpace(announcement.UpdateTopic))
                throw new InvalidDataException("The announcement names no round topics.");
            return announcement;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The announcement is not valid JSON of a federated model: {e.Message}", e);
        }
    }
}
