using KafkaMl.Core.Scripting;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Auth;
using KafkaMl.Web.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Services;

/// <summary>
/// What the portal's forms create, through the very handlers the REST API runs (so a page and <c>POST /api/...</c>
/// can never disagree), with the API's field rules exposed so a form checks them beside each field first and never
/// sends an invalid create. Components never hold a DbContext: this service opens one per call. Writes are refused
/// to a viewer (<see cref="PortalWriteGuard"/>), though the form pages already are.
/// </summary>
public sealed class PortalForms(
    IDbContextFactory<KafkaMlDbContext> contexts,
    ModelValidator validator,
    TrainingOrchestrator orchestrator,
    ResultsNotifier notifier,
    PortalWriteGuard guard)
{
    // ---- the rules, checked in the browser's circuit before any create ----

    public static FieldErrors Check(ModelRequest request) => new(ModelRules.CheckFields(request).Errors.ToDictionary());

    public static FieldErrors Check(ConfigurationRequest request) => new(ConfigurationRules.CheckFields(request).Errors.ToDictionary());

    public static FieldErrors Check(DeploymentRequest request) => new(DeploymentRules.Validate(request).Errors.ToDictionary());

    // ---- models ----

    public async Task<ModelResponse?> ModelAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return (await ModelsApi.GetModel(id, db, cancellationToken)).Result is Ok<ModelResponse> ok ? ok.Value : null;
    }

    /// <summary>Compiles, sandbox-checks and builds the script in a child process (<see cref="ModelValidator"/>).</summary>
    public Task<ModelValidation> ValidateModelAsync(string code, CancellationToken cancellationToken = default) =>
        validator.ValidateAsync(code, inputShape: null, cancellationToken);

    public async Task<FormOutcome<ModelResponse>> SaveModelAsync(int? id, ModelRequest request, CancellationToken cancellationToken = default)
    {
        if (Check(request) is { Any: true } invalid) return FormOutcome<ModelResponse>.Invalid(invalid);
        if (await guard.RefusalAsync() is { } refusal) return FormOutcome<ModelResponse>.Refused(refusal);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        IResult result = id is { } existing
            ? (await ModelsApi.UpdateModel(existing, request, db, validator, cancellationToken)).Result
            : (await ModelsApi.CreateModel(request, db, validator, cancellationToken)).Result;
        return FormOutcome<ModelResponse>.From(result);
    }

    // ---- configurations ----

    public async Task<FormOutcome<ConfigurationResponse>> CreateConfigurationAsync(ConfigurationRequest request, CancellationToken cancellationToken = default)
    {
        if (Check(request) is { Any: true } invalid) return FormOutcome<ConfigurationResponse>.Invalid(invalid);
        if (await guard.RefusalAsync() is { } refusal) return FormOutcome<ConfigurationResponse>.Refused(refusal);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return FormOutcome<ConfigurationResponse>.From((await ConfigurationsApi.CreateConfiguration(request, db, cancellationToken)).Result);
    }

    // ---- deployments ----

    public async Task<FormOutcome<DeploymentResponse>> CreateDeploymentAsync(DeploymentRequest request, CancellationToken cancellationToken = default)
    {
        if (Check(request) is { Any: true } invalid) return FormOutcome<DeploymentResponse>.Invalid(invalid);
        if (await guard.RefusalAsync() is { } refusal) return FormOutcome<DeploymentResponse>.Refused(refusal);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return FormOutcome<DeploymentResponse>.From(
            (await DeploymentsApi.CreateDeployment(request, db, orchestrator, notifier, cancellationToken)).Result);
    }
}

/// <summary>Validation messages by field name (the API's names: <c>name</c>, <c>batchSize</c>, <c>earlyStopping.patience</c>, ...).</summary>
public sealed class FieldErrors(IReadOnlyDictionary<string, string[]> messages)
{
    public static readonly FieldErrors None = new(new Dictionary<string, string[]>());

    public bool Any => messages.Count > 0;

    public IReadOnlyDictionary<string, string[]> Messages => messages;

    /// <summary>The field's messages as one line, or null when the field is fine (what a Mud field's ErrorText takes).</summary>
    public string? this[string field] =>
        messages.FirstOrDefault(m => string.Equals(m.Key, field, StringComparison.OrdinalIgnoreCase)).Value is { Length: > 0 } list
            ? string.Join(" ", list)
            : null;

    public bool Has(string field) => this[field] is not null;
}

/// <summary>What a form's create or save led to: the created resource, field errors, or a message for the whole form.</summary>
public sealed record FormOutcome<T>(T? Value, FieldErrors Errors, string? Problem, IReadOnlyList<ScriptDiagnostic> Diagnostics) where T : class
{
    public bool Succeeded => Value is not null;

    public static FormOutcome<T> Invalid(FieldErrors errors) => new(null, errors, null, []);

    public static FormOutcome<T> Refused(string problem) => new(null, FieldErrors.None, problem, []);

    /// <summary>Reads an API handler's typed result.</summary>
    public static FormOutcome<T> From(IResult result) => result switch
    {
        Created<T> created => new(created.Value, FieldErrors.None, null, []),
        Ok<T> ok => new(ok.Value, FieldErrors.None, null, []),
        ValidationProblem problem => new(null, new FieldErrors(problem.ProblemDetails.Errors.AsReadOnly()), null, DiagnosticsOf(problem.ProblemDetails)),
        NotFound<ProblemDetails> notFound => new(null, FieldErrors.None, notFound.Value?.Detail ?? "Not found.", []),
        Conflict<ProblemDetails> conflict => new(null, FieldErrors.None, conflict.Value?.Detail ?? "In use.", []),
        _ => new(null, FieldErrors.None, $"Unexpected answer: {result.GetType().Name}.", []),
    };

    /// <summary>A model's compile errors ride along as the <c>diagnostics</c> extension.</summary>
    private static IReadOnlyList<ScriptDiagnostic> DiagnosticsOf(ProblemDetails details) =>
        details.Extensions.TryGetValue("diagnostics", out var value) && value is IReadOnlyList<ScriptDiagnostic> diagnostics ? diagnostics : [];
}
