using System.Text.Json;
using KafkaMl.Core.Scripting;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

/// <summary>
/// Models as the API and the portal's model form use them — list, get, create, update, delete, validate a script —
/// with their rules in one place: a unique name (ignoring case), and code that compiles, passes the sandbox check
/// and builds a module (<see cref="ModelValidator"/>). <see cref="Check"/> is what the form runs beside each field.
/// </summary>
public sealed class ModelService(IDbContextFactory<KafkaMlDbContext> contexts, ModelValidator validator)
{
    /// <summary>What a model's fields must hold before the database or the build check is asked.</summary>
    public static IReadOnlyDictionary<string, string[]> Check(ModelRequest request) => CheckFields(request).Errors.ToDictionary();

    public async Task<List<ModelResponse>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var models = await db.Models.AsNoTracking().OrderBy(m => m.Id).ToListAsync(cancellationToken);
        return models.Select(ModelResponse.From).ToList();
    }

    public async Task<Outcome<ModelResponse>> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var model = await db.Models.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        return model is null ? ModelNotFound(id) : Outcome.Ok(ModelResponse.From(model));
    }

    public async Task<Outcome<ModelResponse>> CreateAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (errors, name, code) = await ValidateAsync(request, existingId: null, db, cancellationToken);
        if (await ValidateCodeAsync(code, errors, cancellationToken) is { } invalid) return invalid;

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
        return Outcome.Ok(ModelResponse.From(model));
    }

    public async Task<Outcome<ModelResponse>> UpdateAsync(int id, ModelRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var model = await db.Models.SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (model is null) return ModelNotFound(id);

        var (errors, name, code) = await ValidateAsync(request, existingId: id, db, cancellationToken);
        // Unchanged code was validated when it was saved.
        if (code == model.Code && errors.Any) return errors.ToFailure();
        if (code != model.Code && await ValidateCodeAsync(code, errors, cancellationToken) is { } invalid) return invalid;

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
        return Outcome.Ok(ModelResponse.From(model));
    }

    /// <summary>Deletes model <paramref name="id"/>; refused while a configuration or a training result uses it.</summary>
    public async Task<Outcome<Done>> DeleteAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var model = await db.Models.SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (model is null) return ModelNotFound(id);

        var configurations = await db.Configurations.AsNoTracking()
            .Where(c => c.Models.Any(m => m.Id == id))
            .OrderBy(c => c.Id)
            .Select(c => new { c.Id, c.Name })
            .ToListAsync(cancellationToken);
        if (configurations.Count > 0)
        {
            return Outcome.Conflict(
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
            return Outcome.Conflict(
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
            return Outcome.Conflict($"Model '{model.Name}' has just been put in use; nothing was deleted.", "modelId", id);
        }
        return Outcome.Ok(Done.Value);
    }

    /// <summary>Compiles, sandbox-checks and builds <paramref name="code"/> in a child process, without saving anything.</summary>
    public Task<ModelValidation> ValidateAsync(string code, long[]? inputShape = null, CancellationToken cancellationToken = default) =>
        validator.ValidateAsync(code, inputShape, cancellationToken);

    /// <summary>
    /// What validating a script (with an optional input shape, as an array or a string) finds; invalid only when the
    /// request itself is (no code, an unusable shape): a script that fails is a successful answer saying so.
    /// </summary>
    public async Task<Outcome<ModelValidationResponse>> ValidateAsync(ModelValidationRequest request, CancellationToken cancellationToken = default)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(request.Code)) errors.Add("code", "The model's code is required.");
        var inputShape = ParseInputShape(request.InputShape, errors);
        if (errors.Any) return errors.ToFailure();

        var validation = await validator.ValidateAsync(request.Code!, inputShape, cancellationToken);
        var check = validation.Check;
        var failure = validation.Ok ? null
            : check?.Failure is { } checkFailure ? checkFailure.ToName()
            : validation.Diagnostics.Any(d => d.Severity == ScriptDiagnosticSeverity.Error && d.Id.StartsWith("KML1", StringComparison.Ordinal))
                ? ModelCheckFailure.Sandbox.ToName()
                : ModelCheckFailure.Compilation.ToName();
        return Outcome.Ok(new ModelValidationResponse(
            validation.Ok, validation.Diagnostics, failure, validation.Error,
            check?.Parameters, check?.Layers, check?.InputShape, check?.OutputShape));
    }

    /// <summary>
    /// When the other fields are fine, compiles the code and builds it in a child process; invalid on <c>code</c> with
    /// each error's line and column (and the full diagnostics as the <c>diagnostics</c> extension) when it fails.
    /// </summary>
    private async Task<Failure?> ValidateCodeAsync(string code, ValidationErrors errors, CancellationToken cancellationToken)
    {
        // Fields already wrong: answer them now, without starting a build check.
        if (errors.Any) return errors.ToFailure();
        var validation = await validator.ValidateAsync(code, inputShape: null, cancellationToken);
        if (validation.Ok) return null;

        foreach (var message in validation.Messages()) errors.Add("code", message);
        return Outcome.Invalid(errors.ToDictionary(), new Dictionary<string, object?> { ["diagnostics"] = validation.Diagnostics });
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

    private static (ValidationErrors Errors, string Name) CheckFields(ModelRequest request)
    {
        var errors = new ValidationErrors();
        var name = NameRules.Check(request.Name, Model.NameMaxLength, errors);
        if (string.IsNullOrWhiteSpace(request.Code)) errors.Add("code", "The model's code is required.");
        return (errors, name);
    }

    private static async Task<(ValidationErrors Errors, string Name, string Code)> ValidateAsync(
        ModelRequest request, int? existingId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var (errors, name) = CheckFields(request);
        // The column's NOCASE collation makes this comparison ignore case, like the unique index.
        if (!errors.Has("name") && await db.Models.AnyAsync(m => m.Name == name && m.Id != existingId, cancellationToken))
        {
            errors.Add("name", DuplicateNameMessage(name));
        }
        return (errors, name, request.Code ?? "");
    }

    private static Failure ModelNotFound(int id) => Outcome.NotFound($"Model {id} does not exist.");

    private static Failure DuplicateName(string name) => Outcome.Invalid("name", DuplicateNameMessage(name));

    private static string DuplicateNameMessage(string name) => $"A model named '{name}' already exists.";
}
