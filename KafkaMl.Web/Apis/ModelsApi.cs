using KafkaMl.Core.Domain;
using KafkaMl.Web.Data;
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
            .WithDescription("The name must be unique (ignoring case) and the code non-empty.");
        api.MapPut("/{id:int}", UpdateModel)
            .WithName("UpdateModel")
            .WithSummary("Update a model");
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
        ModelRequest request, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var (errors, name, code) = await ValidateAsync(request, existingId: null, db, cancellationToken);
        if (errors.Any) return errors.ToProblem();

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
        int id, ModelRequest request, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var model = await db.Models.SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (model is null) return ModelNotFound(id);

        var (errors, name, code) = await ValidateAsync(request, existingId: id, db, cancellationToken);
        if (errors.Any) return errors.ToProblem();

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

    private static async Task<(ValidationErrors Errors, string Name, string Code)> ValidateAsync(
        ModelRequest request, int? existingId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var name = NameRules.Check(request.Name, Model.NameMaxLength, errors);
        // The column's NOCASE collation makes this comparison ignore case, like the unique index.
        if (!errors.Any && await db.Models.AnyAsync(m => m.Name == name && m.Id != existingId, cancellationToken))
        {
            errors.Add("name", DuplicateNameMessage(name));
        }
        if (string.IsNullOrWhiteSpace(request.Code)) errors.Add("code", "The model's code is required.");
        return (errors, name, request.Code ?? "");
    }

    private static NotFound<ProblemDetails> ModelNotFound(int id) => Problems.NotFound($"Model {id} does not exist.");

    private static ValidationProblem DuplicateName(string name) => Problems.Validation("name", DuplicateNameMessage(name));

    private static string DuplicateNameMessage(string name) => $"A model named '{name}' already exists.";
}
