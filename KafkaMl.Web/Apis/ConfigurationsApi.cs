using KafkaMl.Core.Domain;
using KafkaMl.Web.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Apis;

public static class ConfigurationsApi
{
    public static RouteGroupBuilder MapConfigurationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/configurations").WithTags("Configurations").WithProblemJson();

        api.MapGet("/", ListConfigurations)
            .WithName("ListConfigurations")
            .WithSummary("List configurations")
            .WithDescription("All configurations, by id, with the ids of their models.");
        api.MapGet("/{id:int}", GetConfiguration)
            .WithName("GetConfiguration")
            .WithSummary("Get a configuration");
        api.MapPost("/", CreateConfiguration)
            .WithName("CreateConfiguration")
            .WithSummary("Create a configuration")
            .WithDescription("The name must be unique (ignoring case); modelIds must name one or more existing models.");
        api.MapPut("/{id:int}", UpdateConfiguration)
            .WithName("UpdateConfiguration")
            .WithSummary("Update a configuration")
            .WithDescription("Replaces the name, description and the set of models.");
        api.MapDelete("/{id:int}", DeleteConfiguration)
            .WithName("DeleteConfiguration")
            .WithSummary("Delete a configuration")
            .WithDescription("Refused with 409 while a deployment uses the configuration; its models are kept.");

        return api;
    }

    public static async Task<Ok<List<ConfigurationResponse>>> ListConfigurations(KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var configurations = await db.Configurations.AsNoTracking()
            .OrderBy(c => c.Id)
            .Select(c => new ConfigurationResponse(c.Id, c.Name, c.Description, c.Models.OrderBy(m => m.Id).Select(m => m.Id).ToList()))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(configurations);
    }

    public static async Task<Results<Ok<ConfigurationResponse>, NotFound<ProblemDetails>>> GetConfiguration(
        int id, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var configuration = await db.Configurations.AsNoTracking()
            .Where(c => c.Id == id)
            .Select(c => new ConfigurationResponse(c.Id, c.Name, c.Description, c.Models.OrderBy(m => m.Id).Select(m => m.Id).ToList()))
            .SingleOrDefaultAsync(cancellationToken);
        return configuration is null ? ConfigurationNotFound(id) : TypedResults.Ok(configuration);
    }

    public static async Task<Results<Created<ConfigurationResponse>, ValidationProblem>> CreateConfiguration(
        ConfigurationRequest request, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var (errors, name, models) = await ValidateAsync(request, existingId: null, db, cancellationToken);
        if (errors.Any) return errors.ToProblem();

        var configuration = new Configuration { Name = name, Description = request.Description ?? "", Models = models };
        db.Configurations.Add(configuration);
        if (await TrySaveAsync(db, name, cancellationToken) is { } problem) return problem;
        return TypedResults.Created($"/api/configurations/{configuration.Id}", ToResponse(configuration));
    }

    public static async Task<Results<Ok<ConfigurationResponse>, NotFound<ProblemDetails>, ValidationProblem>> UpdateConfiguration(
        int id, ConfigurationRequest request, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var configuration = await db.Configurations.Include(c => c.Models).SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (configuration is null) return ConfigurationNotFound(id);

        var (errors, name, models) = await ValidateAsync(request, existingId: id, db, cancellationToken);
        if (errors.Any) return errors.ToProblem();

        configuration.Name = name;
        configuration.Description = request.Description ?? "";
        configuration.Models.RemoveAll(m => !models.Contains(m));
        configuration.Models.AddRange(models.Where(m => !configuration.Models.Contains(m)).ToList());
        if (await TrySaveAsync(db, name, cancellationToken) is { } problem) return problem;
        return TypedResults.Ok(ToResponse(configuration));
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteConfiguration(
        int id, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var configuration = await db.Configurations.SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (configuration is null) return ConfigurationNotFound(id);

        var deploymentIds = await db.Deployments.AsNoTracking()
            .Where(d => d.ConfigurationId == id)
            .OrderBy(d => d.Id)
            .Select(d => d.Id)
            .ToListAsync(cancellationToken);
        if (deploymentIds.Count > 0)
        {
            return Problems.Conflict(
                $"Configuration '{configuration.Name}' is used by deployment(s) {string.Join(", ", deploymentIds)}; delete them first.",
                "deploymentIds", deploymentIds);
        }

        // The links to its models go with it (cascade); the models stay.
        db.Configurations.Remove(configuration);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            return Problems.Conflict($"Configuration '{configuration.Name}' has just been deployed; nothing was deleted.", "configurationId", id);
        }
        return TypedResults.NoContent();
    }

    private static async Task<(ValidationErrors Errors, string Name, List<Model> Models)> ValidateAsync(
        ConfigurationRequest request, int? existingId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var (errors, name, modelIds) = ConfigurationRules.CheckFields(request);
        // The column's NOCASE collation makes this comparison ignore case, like the unique index.
        if (!errors.Has("name") && await db.Configurations.AnyAsync(c => c.Name == name && c.Id != existingId, cancellationToken))
        {
            errors.Add("name", DuplicateNameMessage(name));
        }

        var models = new List<Model>();
        if (modelIds.Count > 0)
        {
            models = await db.Models.Where(m => modelIds.Contains(m.Id)).OrderBy(m => m.Id).ToListAsync(cancellationToken);
            var missing = modelIds.Except(models.Select(m => m.Id)).Order().ToList();
            if (missing.Count > 0) errors.Add("modelIds", MissingModelsMessage(missing));
        }
        return (errors, name, models);
    }

    /// <summary>Saves in one transaction; a race lost on the unique name or on a model deleted meanwhile becomes a 400.</summary>
    private static async Task<ValidationProblem?> TrySaveAsync(KafkaMlDbContext db, string name, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return null;
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            return Problems.Validation("name", DuplicateNameMessage(name));
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            return Problems.Validation("modelIds", "One or more of the models no longer exist; nothing was saved.");
        }
    }

    private static ConfigurationResponse ToResponse(Configuration configuration) =>
        new(configuration.Id, configuration.Name, configuration.Description, configuration.Models.Select(m => m.Id).Order().ToList());

    private static NotFound<ProblemDetails> ConfigurationNotFound(int id) => Problems.NotFound($"Configuration {id} does not exist.");

    private static string DuplicateNameMessage(string name) => $"A configuration named '{name}' already exists.";

    private static string MissingModelsMessage(IEnumerable<int> missing) => $"Unknown model id(s): {string.Join(", ", missing)}.";
}
