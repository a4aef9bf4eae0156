using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Core.Chains;
using KafkaMl.Core.Jobs;

namespace KafkaMl.Web.Services;

// An early-exit chain's stages as separate downloads: an edge device takes only its stage's weights. The whole chain
// is the result's usual bundle (BundleAsync).
public sealed partial class ResultService
{
    /// <summary>
    /// Stage <paramref name="stage"/> of chain result <paramref name="id"/> as a zip: <c>stage{k}.dat</c> (TorchSharp) and
    /// <c>stage{k}.safetensors</c> (when the result has safetensors) holding only that stage's parameters, named without
    /// the stage's prefix (<c>body.*</c> and <c>exit.*</c>: they load into <c>Stage(body, exit)</c>; the final stage's into
    /// its module), the script and metadata.json. 400 for a plain model or a stage it does not have; 409 until finished.
    /// </summary>
    public async Task<Outcome<ModelBundle>> StageBundleAsync(int id, int stage, CancellationToken cancellationToken = default)
    {
        TrainingResult? result;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
            result = await BundledResultAsync(db, id, cancellationToken);
        if (result is null) return ResultNotFound(id);
        if (result.Chain is not { } chain) return Outcome.Invalid("stage", $"Result {id} is a plain model, not an early-exit chain: download its model instead.");
        var stages = chain.Exits.Count;
        if (stage < 1 || stage > stages) return Outcome.Invalid("stage", $"Result {id} is a chain of {stages} stages: stage {stage} does not exist.");
        if (result.Status != TrainingStatus.Finished)
            return Outcome.Conflict($"Result {id} is {result.Status.ToName()}; its stages can be downloaded once it is finished.", "status", result.Status.ToName());

        var directory = orchestrator.ResultDirectory(id);
        var weights = Path.Combine(directory, ResultFiles.Weights);
        if (!File.Exists(weights)) return Outcome.NotFound($"The trained weights of result {id} are missing from the data directory.");
        var safetensors = Path.Combine(directory, ResultFiles.Safetensors);
        var prefix = ChainStageWeights.Prefix(stage, stages);
        var name = $"stage{stage}";
        using var zip = new MemoryStream();
        try
        {
            using var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true);
            await AddBytesAsync(archive, $"{name}.dat", ChainStageWeights.TorchSharp(await File.ReadAllBytesAsync(weights, cancellationToken), prefix), cancellationToken);
            var hasSafetensors = File.Exists(safetensors);
            if (hasSafetensors)
                await AddBytesAsync(archive, $"{name}.safetensors", ChainStageWeights.SafeTensors(await File.ReadAllBytesAsync(safetensors, cancellationToken), prefix), cancellationToken);
            await AddTextAsync(archive, ScriptEntry, Script(result), cancellationToken);
            var metadata = new JsonObject
            {
                ["format"] = "kafkaml-chain-stage/1",
                ["resultId"] = id,
                ["stage"] = stage,
                ["stages"] = stages,
                ["parameterPrefix"] = prefix,
                ["loadsInto"] = stage == stages ? "the final stage's module" : "Stage(body, exit)",
                ["weights"] = new JsonObject { ["torchSharp"] = $"{name}.dat", ["safetensors"] = hasSafetensors ? $"{name}.safetensors" : null },
                ["scaler"] = stage == 1 && result.Scaler is { } scaler ? JsonNode.Parse(scaler) : null,
                ["testMetrics"] = JsonSerializer.SerializeToNode(chain.Exits[stage - 1].TestMetrics),
            };
            await AddTextAsync(archive, MetadataEntry, metadata.ToJsonString(MetadataJson), cancellationToken);
        }
        catch (InvalidDataException e)
        {
            return Outcome.Failed($"The weights of result {id} cannot be cut into stage {stage}: {e.Message}");
        }
        return Outcome.Ok(new ModelBundle(zip.ToArray(), $"kafkaml-result-{id}-{name}.zip"));
    }

    private static async Task AddBytesAsync(ZipArchive archive, string name, byte[] bytes, CancellationToken cancellationToken)
    {
        await using var entry = archive.CreateEntry(name, CompressionLevel.Optimal).Open();
        await entry.WriteAsync(bytes, cancellationToken);
    }
}
