using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.PyTorch;
using KafkaMl.Core.Training;
using KafkaMl.Web.Apis;
using F = KafkaMl.Web.Apis.ResultImportFields;

namespace KafkaMl.Web.Services;

/// <summary>What <c>POST /api/results/import</c> was sent (<see cref="ResultImportFields"/>); the weights as the file's bytes.</summary>
public sealed record ResultImportRequest(
    int? ModelId, string? FileName, byte[]? Weights, string? Scaler = null, string? InputFormat = null, string? InputConfig = null, string? Loss = null);

// Results made from weights trained elsewhere (issue 20): checked against the state dict the model script builds (in
// the model-check child process: the script never runs here), then stored as a finished result whose files are those
// of a trained one, so it deploys for inference, downloads and seeds fine-tuning like any other.
public sealed partial class ResultService
{
    /// <summary>The configuration imports of a model are recorded under (a result belongs to a deployment of one).</summary>
    public static string ImportConfigurationName(string model) =>
        $"imported: {model}" is var name && name.Length > Configuration.NameMaxLength ? name[..Configuration.NameMaxLength] : name;

    /// <summary>
    /// Creates a finished result from <paramref name="request"/>'s weights: invalid (naming each tensor) when they do not
    /// fit model <see cref="ResultImportRequest.ModelId"/>'s script, or when a <c>.pt</c> pickle carries anything but
    /// plain tensors (refused while it is read: nothing in it runs).
    /// </summary>
    public async Task<Outcome<ResultResponse>> ImportAsync(ResultImportRequest request, ModelValidator validator, CancellationToken cancellationToken = default)
    {
        var errors = new ValidationErrors();
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        Model? model = null;
        if (request.ModelId is not { } modelId) errors.Add(F.ModelId, "The model whose script the weights belong to is required.");
        else if ((model = await db.Models.SingleOrDefaultAsync(m => m.Id == modelId, cancellationToken)) is null)
            errors.Add(F.ModelId, $"Model {modelId} does not exist.");
        var settings = ImportSettings(request, errors);

        IReadOnlyList<StateTensor>? tensors = null;
        if (request.Weights is not { Length: > 0 } file) errors.Add(F.Weights, "The weights file (.safetensors or a PyTorch .pt state dict) is required.");
        else
        {
            try
            {
                tensors = StateDictMatch.Read(file);
            }
            catch (WeightsFormatException e)
            {
                errors.Add(F.Weights, e.Message);
            }
        }
        if (errors.Any) return errors.ToFailure();

        var check = (await validator.ValidateAsync(model!.Code, inputShape: null, cancellationToken)).Check;
        if (check is not { Ok: true, Tensors: { } expected })
            return Outcome.Invalid(F.ModelId, $"The script of model '{model.Name}' does not build, so nothing can be checked against it: {check?.Error ?? "it does not compile"}");
        var (matched, mismatches) = StateDictMatch.Match(tensors!, expected);
        if (mismatches.Count > 0)
            return Outcome.Invalid(new Dictionary<string, string[]> { [F.Weights] = [.. mismatches.Select(m => $"'{m.Name}': {m.Problem}")] });

        var loss = settings.Loss ?? (check.Loss is { } scripted ? EnumNames.Parse<Loss>(scripted) : Loss.CrossEntropy);
        var format = TorchStateDictReader.LooksLikeZip(request.Weights!) ? ImportFormats.PyTorch : ImportFormats.SafeTensors;
        TrainingResult result;
        try
        {
            result = await RecordImportAsync(db, model, request, settings with { Loss = loss }, format, cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            // Another import made the model's import configuration meanwhile: record this one under it.
            db.ChangeTracker.Clear();
            result = await RecordImportAsync(db, model, request, settings with { Loss = loss }, format, cancellationToken);
        }
        var directory = orchestrator.ResultDirectory(result.Id);
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, ResultFiles.Weights), TorchSharpWeightsBytes.Write(matched), cancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(directory, ResultFiles.Safetensors), SafeTensorsBytes.Write(matched, Metadata(model, loss, settings.Scaler)), cancellationToken);

        result.WeightsPath = TrainingOrchestrator.RelativeWeightsPath(result.Id);
        result.Versions.Add(new ModelVersion
        {
            Version = 1, PublishedAt = result.StatusChanged, WeightsPath = result.WeightsPath, Scaler = result.Scaler,
            TrainMetrics = [], ValMetrics = [], TestMetrics = [],
        });
        await db.SaveChangesAsync(cancellationToken);
        await notifier.NotifyStatusAsync(result.Id, result.DeploymentId, TrainingStatus.Finished);
        return Outcome.Ok(ResultResponse.From(result, model.Name));
    }

    /// <summary>The optional fields, checked: the loss, the scaler (as stored JSON), the input format and its configuration.</summary>
    private sealed record ImportedSettings(Loss? Loss, string? Scaler, string? InputFormat, string? InputConfig);

    private static ImportedSettings ImportSettings(ResultImportRequest request, ValidationErrors errors)
    {
        Loss? loss = null;
        if (!string.IsNullOrWhiteSpace(request.Loss))
        {
            if (EnumNames.TryParse<Loss>(request.Loss, out var known)) loss = known;
            else errors.Add(F.Loss, $"Unknown loss '{request.Loss}'; use one of {string.Join(", ", EnumNames.Names<Loss>())}.");
        }
        string? scaler = null;
        if (!string.IsNullOrWhiteSpace(request.Scaler))
        {
            try
            {
                scaler = FeatureScaler.FromJson(request.Scaler).ToJson();
            }
            catch (JsonException e)
            {
                errors.Add(F.Scaler, $"The scaler must be JSON {{\"mean\": [...], \"std\": [...]}}: {e.Message}");
            }
        }
        string? format = null;
        if (!string.IsNullOrWhiteSpace(request.InputFormat))
        {
            if (DataFormats.TryGet(request.InputFormat, out var known)) format = known.Name;
            else errors.Add(F.InputFormat, $"'{request.InputFormat}' is not a known input format; use one of {string.Join(", ", DataFormats.Names)}.");
        }
        string? config = null;
        if (!string.IsNullOrWhiteSpace(request.InputConfig))
        {
            try
            {
                config = (JsonNode.Parse(request.InputConfig) as JsonObject ?? throw new JsonException("it is not an object")).ToJsonString();
            }
            catch (JsonException e)
            {
                errors.Add(F.InputConfig, $"The input configuration must be a JSON object: {e.Message}");
            }
        }
        return new ImportedSettings(loss, scaler, format, config);
    }

    /// <summary>The finished result, in a deployment of its own (no training: 0 epochs) of the model's import configuration.</summary>
    private static async Task<TrainingResult> RecordImportAsync(
        KafkaMlDbContext db, Model model, ResultImportRequest request, ImportedSettings settings, string format, CancellationToken cancellationToken)
    {
        if (db.Entry(model).State == EntityState.Detached) db.Attach(model); // after a retry cleared the tracker
        var name = ImportConfigurationName(model.Name);
        var configuration = await db.Configurations.Include(c => c.Models).SingleOrDefaultAsync(c => c.Name == name, cancellationToken)
            ?? db.Configurations.Add(new Configuration { Name = name, Description = $"Results imported from weights of '{model.Name}' trained elsewhere." }).Entity;
        if (!configuration.Models.Any(m => m.Id == model.Id)) configuration.Models.Add(model);

        var now = DateTimeOffset.UtcNow;
        var result = new TrainingResult
        {
            ModelId = model.Id,
            ModelCode = model.Code,
            Status = TrainingStatus.Finished,
            StatusChanged = now,
            InputFormat = settings.InputFormat,
            InputConfig = settings.InputConfig,
            Scaler = settings.Scaler,
            ImportedFrom = Path.GetFileName(request.FileName ?? "") is { Length: > 0 } file ? file : "weights",
            ImportedFormat = format,
        };
        db.Deployments.Add(new Deployment
        {
            Configuration = configuration, Loss = settings.Loss!.Value, Optimizer = Optimizer.Adam, CreatedAt = now, Results = [result],
        });
        await db.SaveChangesAsync(cancellationToken);
        return result;
    }

    private static Dictionary<string, string> Metadata(Model model, Loss loss, string? scaler)
    {
        var metadata = new Dictionary<string, string>(ModelWeights.DefaultMetadata)
        {
            [Core.Jobs.Training.TrainingJob.ModelMetadataKey] = model.Name,
            [Core.Jobs.Training.TrainingJob.LossMetadataKey] = loss.ToName(),
        };
        if (scaler is not null) metadata[Core.Jobs.Training.TrainingJob.ScalerMetadataKey] = scaler;
        return metadata;
    }
}

/// <summary>
/// Where a result's weights came from: imported from <paramref name="ImportedFrom"/> (a file in <paramref name="ImportedFormat"/>),
/// or trained starting from result <paramref name="InitialWeightsResultId"/>'s weights; all null for a result trained from the script's initialisation.
/// </summary>
public sealed record WeightsOrigin(string? ImportedFrom, string? ImportedFormat, int? InitialWeightsResultId)
{
    public bool Imported => ImportedFrom is not null;
}
