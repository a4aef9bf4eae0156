using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Federated;

/// <summary>What a transfer on a round topic carries.</summary>
public static class TransferKinds
{
    /// <summary>The coordinator's global weights for a round (with the global scaler when standardising).</summary>
    public const string Global = "global";

    /// <summary>A site's trained weights for a round.</summary>
    public const string Update = "update";

    /// <summary>A site's standardisation statistics (round 0, no weights).</summary>
    public const string Statistics = "statistics";

    /// <summary>
    /// A site's evaluation of the final global weights on its own test split (the dataset's <c>test_rate</c>), sent after
    /// the last round: the test sample count and metrics only, no weights. Zero samples: the site holds no test split.
    /// </summary>
    public const string Evaluation = "evaluation";

    /// <summary>The coordinator's own server state (FedAdam's moments), beside the global weights; sites ignore it.</summary>
    public const string ServerState = "server_state";
}

/// <summary>One tensor of a transfer: where its bytes are in the safetensors file.</summary>
public sealed record ManifestTensor(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("dtype")] string Dtype,
    [property: JsonPropertyName("shape")] long[] Shape,
    [property: JsonPropertyName("begin")] long Begin,
    [property: JsonPropertyName("end")] long End);

/// <summary>One chunk message of a transfer: bytes [begin, end) of the safetensors file.</summary>
public sealed record ManifestChunk(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("begin")] long Begin,
    [property: JsonPropertyName("end")] long End);

/// <summary>
/// The last message of a transfer on a round topic (UTF-8 JSON, snake_case), after its chunk messages: who sent what for
/// which round, the tensors (names, dtypes, shapes, byte ranges in the safetensors file), the chunks, the file's size
/// and its SHA-256. A site's update adds its sample count and metrics, its evaluation the test sample count and test metrics; statistics and the global scaler travel here too
/// (never samples or labels).
/// </summary>
public sealed record TransferManifest
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [JsonPropertyName("transfer")] public required string Transfer { get; init; }
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    [JsonPropertyName("result_id")] public int ResultId { get; init; }
    [JsonPropertyName("round")] public int Round { get; init; }
    [JsonPropertyName("site")] public string? Site { get; init; }
    [JsonPropertyName("samples")] public long Samples { get; init; }
    [JsonPropertyName("train_metrics")] public Dictionary<string, double>? TrainMetrics { get; init; }
    [JsonPropertyName("validation_metrics")] public Dictionary<string, double>? ValidationMetrics { get; init; }
    [JsonPropertyName("test_metrics")] public Dictionary<string, double>? TestMetrics { get; init; }
    [JsonPropertyName("statistics")] public ScalerStatistics? Statistics { get; init; }
    [JsonPropertyName("scaler")] public FeatureScaler? Scaler { get; init; }
    [JsonPropertyName("tensors")] public List<ManifestTensor> Tensors { get; init; } = [];
    [JsonPropertyName("chunks")] public List<ManifestChunk> Chunks { get; init; } = [];
    [JsonPropertyName("total_bytes")] public long TotalBytes { get; init; }
    [JsonPropertyName("sha256")] public string Sha256 { get; init; } = "";

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Parses a manifest; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static TransferManifest Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<TransferManifest>(utf8Json, Json) ?? throw new InvalidDataException("The manifest is null.");
            if (string.IsNullOrWhiteSpace(manifest.Transfer)) throw new InvalidDataException("The manifest names no transfer.");
            return manifest;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The manifest is not valid JSON of a transfer: {e.Message}", e);
        }
    }

    /// <summary>The manifest as a JSON object (for logs and tests).</summary>
    public JsonObject ToJsonObject() => JsonNode.Parse(ToUtf8Json())!.AsObject();
}
