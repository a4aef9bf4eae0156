using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaMl.Core.Federated;

/// <summary>
/// What a site's agent hands the worker process it starts for one matched model (<c>federated-worker --assignment FILE</c>):
/// the site (its name, both clusters, librdkafka settings, local training limits), the model announcement and the
/// dataset's control message as the site's broker carried it. Written owner-only (the settings may hold credentials);
/// the worker deletes it once read, and the agent writes a fresh one for each start.
/// </summary>
public sealed record WorkerAssignment
{
    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    [JsonPropertyName("site")] public required string Site { get; init; }
    [JsonPropertyName("cloud_bootstrap_servers")] public required string CloudBootstrapServers { get; init; }
    [JsonPropertyName("data_bootstrap_servers")] public required string DataBootstrapServers { get; init; }
    [JsonPropertyName("kafka_settings")] public Dictionary<string, string>? KafkaSettings { get; init; }
    [JsonPropertyName("torch_threads")] public int? TorchThreads { get; init; }
    [JsonPropertyName("data_timeout_s")] public double DataTimeoutS { get; init; }
    [JsonPropertyName("dataset_key")] public required string DatasetKey { get; init; }
    [JsonPropertyName("dataset")] public required string DatasetMessage { get; init; }
    [JsonPropertyName("model")] public required ModelAnnouncement Model { get; init; }

    public static WorkerAssignment For(SiteOptions site, ModelAnnouncement model, SiteDataset dataset) => new()
    {
        Site = site.Site,
        CloudBootstrapServers = site.CloudBootstrapServers,
        DataBootstrapServers = site.DataBootstrapServers,
        KafkaSettings = site.KafkaSettings?.ToDictionary(StringComparer.Ordinal),
        TorchThreads = site.TorchThreads,
        DataTimeoutS = site.MissingDataTimeout.TotalSeconds,
        DatasetKey = dataset.Key,
        DatasetMessage = dataset.Control.ToJson(),
        Model = model,
    };

    /// <summary>The site's options again (without a logger: the worker brings its own).</summary>
    public SiteOptions Options() => new(Site, CloudBootstrapServers, DataBootstrapServers)
    {
        KafkaSettings = KafkaSettings,
        TorchThreads = TorchThreads,
        MissingDataTimeout = TimeSpan.FromSeconds(DataTimeoutS),
    };

    /// <summary>The matched dataset, parsed again from its control message.</summary>
    public SiteDataset Dataset() => SiteDataset.Read(DatasetKey, Encoding.UTF8.GetBytes(DatasetMessage));

    /// <summary>Writes the assignment to <paramref name="path"/>, readable by this user only.</summary>
    public void Write(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var file = new FileStream(path, options);
        JsonSerializer.Serialize(file, this, Json);
    }

    /// <summary>Reads an assignment; throws <see cref="InvalidDataException"/> saying why it is unusable.</summary>
    public static WorkerAssignment Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<WorkerAssignment>(File.ReadAllBytes(path), Json) ?? throw new InvalidDataException($"{path} holds null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a worker assignment: {e.Message}", e);
        }
    }
}
