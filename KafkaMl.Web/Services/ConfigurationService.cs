using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

/// <summary>
/// Configurations (named sets of models) as the API and the portal's configuration form use them, with their rules in
/// one place: a unique name (ignoring case) and one or more existing models; refused deletion while deployed.
/// </summary>
public sealed class ConfigurationService(IDbContextFactory<KafkaMlDbContext> contexts)
{
    /// <summary>What a configuration's fields must hold before the database is asked.</summary>
    public static IReadOnlyDictionary<string, string[]> Check(ConfigurationRequest request) => CheckFields(request).Errors.ToDictionary();

    public async Task<List<ConfigurationResponse>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Configurations.AsNoTracking()
            .OrderBy(c => c.Id)
            .Select(c => new ConfigurationResponse(c.Id, c.Name, c.Description, c.Models.OrderBy(m => m.Id).Select(m => m.Id).ToList()))
            .ToListAsync(cancellationToken);
    }

    public async Task<Outcome<ConfigurationResponse>> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var configuration = await db.Configurations.AsNoTracking()
            .Where(c => c.Id == id)
            .Select(c => new ConfigurationResponse(c.Id, c.Name, c.Description, c.Models.OrderBy(m => m.Id).Select(m => m.Id).ToList()))
            .SingleOrDefaultAsync(cancellationToken);
        return configuration is null ? ConfigurationNotFound(id) : Outcome.Ok(configuration);
    }

    public async Task<Outcome<ConfigurationResponse>> CreateAsync(ConfigurationRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (errors, name, models) = await ValidateAsync(request, existingId: null, db, cancellationToken);
        if (errors.Any) return errors.ToFailure();

        var configuration = new Configuration { Name = name, Description = request.Description ?? "", Models = models };
        db.Configurations.Add(configuration);
        if (await TrySaveAsync(db, name, cancellationToken) is { } problem) return problem;
        return Outcome.Ok(ToResponse(configuration));
    }

    /// <summary>Replaces the name, description and the set of models.</summary>
    public async Task<Outcome<ConfigurationResponse>> UpdateAsync(int id, ConfigurationRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var configuration = await db.Configurations.Include(c => c.Models).SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (configuration is null) return ConfigurationNotFound(id);

        var (errors, name, models) = await ValidateAsync(request, existingId: id, db, cancellationToken);
        if (errors.Any) return errors.ToFailure();

        configuration.Name = name;
        configuration.Description = request.Description ?? "";
        configuration.Models.RemoveAll(m => !models.Contains(m));
        configuration.Models.AddRange(models.Where(m => !configuration.Models.Contains(m)).ToList());
        if (await TrySaveAsync(db, name, cancellationToken) is { } problem) return problem;
        return Outcome.Ok(ToResponse(configuration));
    }

    /// <summary>Deletes configuration <paramref name="id"/> (its models stay); refused while a deployment uses it.</summary>
    public async Task<Outcome<Done>> DeleteAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var configuration = await db.Configurations.SingleOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (configuration is null) return ConfigurationNotFound(id);

        var deploymentIds = await db.Deployments.AsNoTracking()
            .Where(d => d.ConfigurationId == id)
            .OrderBy(d => d.Id)
            .Select(d => d.Id)
            .ToListAsync(cancellationToken);
        if (deploymentIds.Count > 0)
        {
            return Outcome.Conflict(
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
            return Outcome.Conflict($"Configuration '{configuration.Name}' has just been deployed; nothing was deleted.", "configurationId", id);
        }
        return Outcome.Ok(Done.Value);
    }

    /// <summary>The errors, the trimmed name and the distinct model ids.</summary>
    private static (ValidationErrors Errors, string Name, List<int> ModelIds) CheckFields(ConfigurationRequest request)
    {
        var errors = new ValidationErrors();
        var name = NameRules.Check(request.Name, Configuration.NameMaxLength, errors);
        var modelIds = (request.ModelIds ?? []).Distinct().ToList();
        if (modelIds.Count == 0) errors.Add("modelIds", "A configuration needs at least one model.");
        return (errors, name, modelIds);
    }

    private static async Task<(ValidationErrors Errors, string Name, List<Model> Models)> ValidateAsync(
        ConfigurationRequest request, int? existingId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var (errors, name, modelIds) = CheckFields(request);
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

    /// <summary>Saves in one transaction; a race lost on the unique name or on a model deleted meanwhile is a field error.</summary>
    private static async Task<Failure?> TrySaveAsync(KafkaMlDbContext db, string name, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return null;
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            return Outcome.Invalid("name", DuplicateNameMessage(name));
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            return Outcome.Invalid("modelIds", "One or more of the models no longer exist; nothing was saved.");
        }
    }

    private static ConfigurationResponse ToResponse(Configuration configuration) =>
        new(configuration.Id, configuration.Name, configuration.Description, configuration.Models.Select(m => m.Id).Order().ToList());

    private static Failure ConfigurationNotFound(int id) => Outcome.NotFound($"Configuration {id} does not exist.");

    private static string DuplicateNameMessage(string name) => $"A configuration named '{name}' already exists.";

    private static string MissingModelsMessage(IEnumerable<int> missing) => $"Unknown model id(s): {string.Join(", ", missing)}.";
}
