using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using F = KafkaMl.Web.Apis.ResultImportFields;

namespace KafkaMl.Web.Apis;

// POST /api/results/import: a finished result from weights trained elsewhere (issue 20). The rules are ResultService.ImportAsync.
public static partial class ResultsApi
{
    /// <summary>Largest weights file an import takes (read whole, in memory, to be checked before anything is stored).</summary>
    public const long MaxImportBytes = 256L << 20;

    private static void MapResultImport(RouteGroupBuilder api) =>
        api.MapPost("/import", ImportResult)
            .WithName("ImportResult")
            .WithSummary("Import weights trained elsewhere (e.g. PyTorch) as a finished result")
            .WithDescription("Multipart: modelId, weights (a .safetensors file or a PyTorch .pt state dict saved by torch.save), optional scaler "
                + "(JSON {\"mean\":[...],\"std\":[...]}), inputFormat, inputConfig (a JSON object) and loss (default: the script's, else cross_entropy). "
                + "Every tensor name, shape and type must match the state dict the model's script builds; 400 names each tensor that is missing, "
                + "unexpected or of the wrong shape. A .pt pickle is read by an allow-list loader: anything but plain tensors (e.g. an os.system "
                + "reduce) is refused with 400 before anything runs. The result deploys for inference, downloads, and seeds a deployment's "
                + "initialWeightsResultId.")
            .DisableAntiforgery()
            .WithFormOptions(multipartBodyLengthLimit: MaxImportBytes + (1 << 20))
            .WithMetadata(new RequestSizeLimitAttribute(MaxImportBytes + (1 << 20)));

    public static async Task<Results<Created<ResultResponse>, ValidationProblem, NotFound<ProblemDetails>>> ImportResult(
        IFormCollection form, [FromServices] ResultService results, [FromServices] ModelValidator validator, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        int? modelId = null;
        if (form.TryGetValue(F.ModelId, out var modelField) && !string.IsNullOrWhiteSpace(modelField.ToString()))
        {
            if (int.TryParse(modelField.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)) modelId = id;
            else errors.Add(F.ModelId, $"'{modelField}' is not a model id.");
        }
        var file = form.Files.GetFile(F.Weights);
        byte[]? weights = null;
        if (file is { Length: > MaxImportBytes }) errors.Add(F.Weights, $"The weights file holds {file.Length} bytes, more than the {MaxImportBytes} an import takes.");
        else if (file is not null)
        {
            using var copy = new MemoryStream((int)file.Length);
            await using (var stream = file.OpenReadStream()) await stream.CopyToAsync(copy, cancellationToken);
            weights = copy.ToArray();
        }
        if (errors.Any) return errors.ToProblem();

        var request = new ResultImportRequest(modelId, file?.FileName, weights,
            await FieldAsync(form, F.Scaler, cancellationToken), await FieldAsync(form, F.InputFormat, cancellationToken),
            await FieldAsync(form, F.InputConfig, cancellationToken), await FieldAsync(form, F.Loss, cancellationToken));
        var outcome = await results.ImportAsync(request, validator, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Created($"/api/results/{outcome.Value!.Id}", outcome.Value),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Validation(outcome.Failure!),
        };
    }

    /// <summary>A text field, or a small file part of that name (<c>-F scaler=@scaler.json</c>).</summary>
    private static async Task<string?> FieldAsync(IFormCollection form, string name, CancellationToken cancellationToken)
    {
        if (form.TryGetValue(name, out var value) && !string.IsNullOrWhiteSpace(value.ToString())) return value.ToString();
        if (form.Files.GetFile(name) is not { Length: > 0 and < 1 << 20 } part) return null;
        using var reader = new StreamReader(part.OpenReadStream());
        return await reader.ReadToEndAsync(cancellationToken);
    }
}
