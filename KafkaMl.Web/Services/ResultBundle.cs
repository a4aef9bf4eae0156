using KafkaMl.Core.Jobs;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Core;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

/// <summary>A trained model as one download: the zip's bytes and the file name it is offered under.</summary>
public sealed record ModelBundle(byte[] Zip, string FileName);

public sealed partial class ResultService
{
    /// <summary>Entries of the model bundle besides the weights.</summary>
    public const string ScriptEntry = "model.csx";
    public const string MetadataEntry = "metadata.json";

    private static readonly JsonSerializerOptions MetadataJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Result <paramref name="id"/>'s trained model as a zip: the script (model.csx), TorchSharp's weights (model.dat),
    /// the same weights as safetensors when stored, and metadata.json (settings, metrics, input format, scaler,
    /// versions). A conflict until the result is finished; not found when its weights are missing. A published version's
    /// bundle is <see cref="VersionBundleAsync"/>.
    /// </summary>
    public async Task<Outcome<ModelBundle>> BundleAsync(int id, CancellationToken cancellationToken = default)
    {
        TrainingResult? result;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            result = await BundledResultAsync(db, id, cancellationToken);
        if (result is null) return ResultNotFound(id);
        if (result.Status != TrainingStatus.Finished)
            return Outcome.Conflict($"Result {id} is {result.Status.ToName()}; its model can be downloaded once it is finished.", "status", result.Status.ToName());

        var directory = orchestrator.ResultDirectory(id);
        var weights = Path.Combine(directory, ResultFiles.Weights);
        if (!File.Exists(weights)) return Outcome.NotFound($"The trained weights of result {id} are missing from the data directory.");
        var contents = new BundleContents(weights, result.TrainMetrics, result.ValMetrics, result.TestMetrics, result.Scaler, Version: null);
        return Outcome.Ok(await ZipAsync(result, contents, $"kafkaml-result-{id}.zip", cancellationToken));
    }

    /// <summary>What a bundle holds besides the script and settings: one set of weights (with the safetensors beside them, if any) and what they were published with.</summary>
    /// <param name="Version">The published version bundled; null for the result's final model.</param>
    private sealed record BundleContents(
        string WeightsFile,
        IReadOnlyDictionary<string, double> TrainMetrics,
        IReadOnlyDictionary<string, double> ValMetrics,
        IReadOnlyDictionary<string, double> TestMetrics,
        string? Scaler,
        ModelVersion? Version);

    private static async Task<ModelBundle> ZipAsync(TrainingResult result, BundleContents contents, string fileName, CancellationToken cancellationToken)
    {
        var safetensors = Path.Combine(Path.GetDirectoryName(contents.WeightsFile)!, ResultFiles.Safetensors);
        var hasSafetensors = File.Exists(safetensors);
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            await AddTextAsync(archive, ScriptEntry, Script(result), cancellationToken);
            await AddFileAsync(archive, ResultFiles.Weights, contents.WeightsFile, cancellationToken);
            if (hasSafetensors) await AddFileAsync(archive, ResultFiles.Safetensors, safetensors, cancellationToken);
            await AddTextAsync(archive, MetadataEntry, JsonSerializer.Serialize(Metadata(result, contents, hasSafetensors), MetadataJson), cancellationToken);
        }
        return new ModelBundle(zip.ToArray(), fileName);
    }

    private static string Script(TrainingResult result) =>
        result.ModelCode is { Length: > 0 } code ? code : result.Model?.Code ?? "";

    private static JsonObject Metadata(TrainingResult result, BundleContents contents, bool hasSafetensors)
    {
        // The confusion matrix belongs to the result's final weights: a later version's bundle goes without it.
        var confusionMatrix = contents.Version is null || contents.Version.WeightsPath == result.WeightsPath ? result.ConfusionMatrix : null;
        var deployment = result.Deployment!;
        return new JsonObject
        {
            ["format"] = "kafkaml-model-bundle/1",
            ["resultId"] = result.Id,
            ["deploymentId"] = result.DeploymentId,
            ["model"] = new JsonObject { ["id"] = result.ModelId, ["name"] = result.Model?.Name ?? "", ["script"] = ScriptEntry },
            ["weights"] = new JsonObject
            {
                ["torchSharp"] = ResultFiles.Weights,
                ["safetensors"] = hasSafetensors ? ResultFiles.Safetensors : null,
            },
            ["training"] = new JsonObject
            {
                ["batchSize"] = deployment.BatchSize,
                ["epochs"] = deployment.Epochs,
                ["learningRate"] = deployment.LearningRate,
                ["optimizer"] = deployment.Optimizer.ToName(),
                ["loss"] = deployment.Loss.ToName(),
                ["metrics"] = new JsonArray([.. deployment.Metrics.Select(m => (JsonNode?)m)]),
                ["shuffle"] = deployment.Shuffle,
                ["earlyStopping"] = deployment.EarlyStoppingPatience is { } patience
                    ? new JsonObject { ["patience"] = patience, ["minDelta"] = deployment.EarlyStoppingMinDelta ?? 0 }
                    : null,
                ["validationRate"] = deployment.ValidationRate,
                ["testRate"] = deployment.TestRate,
                ["seed"] = deployment.Seed,
                ["trainingSeconds"] = result.TrainingSeconds,
            },
            ["modelVersion"] = contents.Version is { } version
                ? new JsonObject { ["version"] = version.Version, ["publishedAt"] = version.PublishedAt, ["samplesSeen"] = version.SamplesSeen }
                : null,
            ["metrics"] = new JsonObject
            {
                ["train"] = JsonSerializer.SerializeToNode(contents.TrainMetrics, MetadataJson),
                ["validation"] = JsonSerializer.SerializeToNode(contents.ValMetrics, MetadataJson),
                ["test"] = JsonSerializer.SerializeToNode(contents.TestMetrics, MetadataJson),
            },
            ["confusionMatrix"] = JsonSerializer.SerializeToNode(confusionMatrix, MetadataJson),
            ["input"] = new JsonObject
            {
                ["topic"] = result.DataTopic,
                ["format"] = result.InputFormat,
                ["config"] = ResultInputResponse.ParseObject(result.InputConfig),
            },
            ["scaler"] = ResultInputResponse.ParseObject(contents.Scaler),
            ["versions"] = new JsonObject
            {
                ["kafkaMl"] = AppVersion.Current,
                ["torchSharp"] = InformationalVersion(typeof(TorchSharp.torch).Assembly),
            },
        };
    }

    private static string? InformationalVersion(System.Reflection.Assembly assembly) =>
        assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString();

    private static async Task AddTextAsync(ZipArchive archive, string name, string text, CancellationToken cancellationToken)
    {
        await using var entry = archive.CreateEntry(name, CompressionLevel.Optimal).Open();
        await entry.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    private static async Task AddFileAsync(ZipArchive archive, string name, string path, CancellationToken cancellationToken)
    {
        await using var entry = archive.CreateEntry(name, CompressionLevel.Optimal).Open();
        await using var file = File.OpenRead(path);
        await file.CopyToAsync(entry, cancellationToken);
    }

    /// <summary>Result <paramref name="id"/> with what its bundle's metadata names (model, deployment settings); null when it does not exist.</summary>
    private static Task<TrainingResult?> BundledResultAsync(KafkaMlDbContext db, int id, CancellationToken cancellationToken) =>
        db.TrainingResults.AsNoTracking()
            .Include(r => r.Model)
            .Include(r => r.Deployment)
            .SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
}
