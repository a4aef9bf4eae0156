using System.Text.Json;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Scripting;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Apis;

public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/models").WithTags("Models").WithProblemJson();

        api.MapGet("/", ListModels)
            .WithName("ListModels")
            .WithSummary("List models")
            .WithDescription("All models, by id.");
        api.MapGet("/{id:int}", GetModel)
            .WithName("GetModel")
            .WithSummary("Get a model");
        api.MapPost("/", CreateModel)
            .WithName("CreateModel")
            .WithSummary("Create a model")
            .WithDescription("The name must be unique (ignoring case) and the code a valid model script: it must compile, "
                + "pass the sandbox check and build a module (checked in a short-lived child process). Errors answer 400 on "
                + "'code' with line and column, and the full diagnostics under 'diagnostics'.");
        api.MapPut("/{id:int}", UpdateModel)
            .WithName("UpdateModel")
            .WithSummary("Update a model")
            .WithDescription("Validated like a new model when the code changes.");
        api.MapPost("/validate", ValidateModel)
            .WithName("ValidateModel")
            .WithSummary("Validate a model script without saving it")
            .WithDescription("Compiles and sandbox-checks the script, then builds it in a child process with time and memory limits "
                + "(and runs a dry forward pass when inputShape is given or fixed by the script). Always 200 with ok and the "
                + "diagnostics; parameters, layers and outputShape when the module could be built.");
        api.MapDelete("/{id:int}", DeleteModel)
            .WithName("DeleteModel")
            .WithSummary("Delete a model")
            .WithDescription("Refused with 409 while a configuration or a training result uses the model.");

        return api;
    }

    public static async Task<Ok<List<ModelResponse>>> ListModels(KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var models = await db.Models.AsNoTracking().OrderBy(m => m.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(models.Select(ModelResponse.From).ToList());
    }

    public static async Task<Results<Ok<ModelResponse>, NotFound<ProblemDetails>>> GetModel(
        int id, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var model = await db.Models.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        return model is null ? ModelNotFound(id) : TypedResults.Ok(ModelResponse.From(model));
    }

    public static async Task<Results<Created<ModelResponse>, ValidationProblem>> CreateModel(
        ModelRequest request, KafkaMlDbContext db, [FromServices] ModelValidator validator, CancellationToken cancellationToken)
    {
        var (errors, name, code) = await ValidateAsync(request, existingId: null, db, cancellationToken);
        if (await ValidateCodeAsync(code, errors, validator, cancellationToken) is { } invalid) return invalid;

        var now = DateTimeOffset.UtcNow;
        var model = new Model { Name = name, Description = request.Description ?? "", Code = code, CreatedAt = now, UpdatedAt = now };
        db.Models.Add(model);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            return DuplicateName(name);
        }
        return TypedResults.Created($"/api/models/{model.Id}", ModelResponse.From(model));
    }

    public static async Task<Results<Ok<ModelResponse>, NotFound<ProblemDetails>, ValidationProblem>> UpdateModel(
        int id, ModelRequest request, KafkaMlDbContext db, [FromServices] ModelValidator validator, CancellationToken cancellationToken)
    {
        var model = await db.Models.SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (model is null) return ModelNotFound(id);

        var (errors, name, code) = await ValidateAsync(request, existingId: id, db, cancellationToken);
        // Unchanged code was validated when it was saved.
        if (code == model.Code && errors.Any) return errors.ToProblem();
        if (code != model.Code && await ValidateCodeAsync(code, errors, validator, cancellationToken) is { } invalid) return invalid;

        model.Name = name;
        model.Description = request.Description ?? "";
        model.Code = code;
        model.UpdatedAt = DateTimeOffset.UtcNow;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            return DuplicateName(name);
        }
        return TypedResults.Ok(ModelResponse.From(model));
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteModel(
        int id, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var model = await db.Models.SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (model is null) return ModelNotFound(id);

        var configurations = await db.Configurations.AsNoTracking()
            .Where(c => c.Models.Any(m => m.Id == id))
            .OrderBy(c => c.Id)
            .Select(c => new { c.Id, c.Name })
            .ToListAsync(cancellationToken);
        if (configurations.Count > 0)
        {
            return Problems.Conflict(
                $"Model '{model.Name}' is used by configuration(s) {string.Join(", ", configurations.Select(c => $"'{c.Name}'"))}; remove it from them first.",
                "configurations", configurations);
        }

        var deploymentIds = await db.TrainingResults.AsNoTracking()
            .Where(r => r.ModelId == id)
            .Select(r => r.DeploymentId)
            .Distinct()
            .OrderBy(d => d)
            .ToListAsync(cancellationToken);
        if (deploymentIds.Count > 0)
        {
            return Problems.Conflict(
                $"Model '{model.Name}' has training results in deployment(s) {string.Join(", ", deploymentIds)}; delete them first.",
                "deploymentIds", deploymentIds);
        }

        db.Models.Remove(model);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            // Someone started using the model between the checks and the delete; the database refused it.
            return Problems.Conflict($"Model '{model.Name}' has just been put in use; nothing was deleted.", "modelId", id);
        }
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<ModelValidationResponse>, ValidationProblem>> ValidateModel(
        ModelValidationRequest request, [FromServices] ModelValidator validator, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(request.Code)) errors.Add("code", "The model's code is required.");
        var inputShape = ParseInputShape(request.InputShape, errors);
        if (errors.Any) return errors.ToProblem();

        var validation = await validator.ValidateAsync(request.Code!, inputShape, cancellationToken);
        var check = validation.Check;
        var failure = validation.Ok ? null
            : check?.Failure is { } checkFailure ? checkFailure.ToName()
            : validation.Diagnostics.Any(d => d.Severity == ScriptDiagnosticSeverity.Error && d.Id.StartsWith("KML1", StringComparison.Ordinal))
                ? ModelCheckFailure.Sandbox.ToName()
                : ModelCheckFailure.Compilation.ToName();
        return TypedResults.Ok(new ModelValidationResponse(
            validation.Ok, validation.Diagnostics, failure, validation.Error,
            check?.Parameters, check?.Layers, check?.InputShape, check?.OutputShape));
    }

    /// <summary>
    /// When the other fields are fine, compiles the code and builds it in a child process; a 400 on <c>code</c> with
    /// each error's line and column (and the full diagnostics as the <c>diagnostics</c> extension) when it fails.
    /// </summary>
    private static async Task<ValidationProblem?> ValidateCodeAsync(
        string code, ValidationErrors errors, ModelValidator validator, CancellationToken cancellationToken)
    {
        // Fields already wrong: answer them now, without starting a build check.
        if (errors.Any) return errors.ToProblem();
        var validation = await validator.ValidateAsync(code, inputShape: null, cancellationToken);
        if (validation.Ok) return null;

        foreach (var message in validation.Messages()) errors.Add("code", message);
        var problem = errors.ToProblem();
        problem.ProblemDetails.Extensions["diagnostics"] = validation.Diagnostics;
        return problem;
    }

    private static long[]? ParseInputShape(JsonElement? element, ValidationErrors errors)
    {
        if (element is not { } shape || shape.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        if (shape.ValueKind == JsonValueKind.String)
        {
            if (ModelInputShape.TryParse(shape.GetString(), out var parsed, out var error)) return parsed;
            errors.Add("inputShape", char.ToUpperInvariant(error[0]) + error[1..] + ".");
            return null;
        }
        if (shape.ValueKind == JsonValueKind.Array
            && shape.EnumerateArray().All(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var dim) && dim > 0)
            && shape.GetArrayLength() is > 0 and <= ModelInputShape.MaxDimensions)
        {
            return shape.EnumerateArray().Select(d => d.GetInt64()).ToArray();
        }
        errors.Add("inputShape", $"The input shape must be 1 to {ModelInputShape.MaxDimensions} positive dimensions, as an array ([3]) or a string (\"1 28 28\").");
        return null;
    }

    private static async Task<(ValidationErrors Errors, string Name, string Code)> ValidateAsync(
        ModelRequest request, int? existingId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var (errors, name) = ModelRules.CheckFields(request);
        // The column's NOCASE collation makes this comparison ignore case, like the unique index.
        if (!errors.Has("name") && await db.Models.AnyAsync(m => m.Name == name && m.Id != existingId, cancellationToken))
        {
            errors.Add("name", DuplicateNameMessage(name));
        }
        return (errors, name, request.Code ?? "");
    }

    private static NotFound<ProblemDetails> ModelNotFound(int id) => Problems.NotFound($"Model {id} does not exist.");

    private static ValidationProblem DuplicateName(string name) => Problems.Validation("name", DuplicateNameMessage(name));

    private static string DuplicateNameMessage(string name) => $"A model named '{name}' already exists.";
}
