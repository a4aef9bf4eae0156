using KafkaMl.Core.Scripting;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Auth;

namespace KafkaMl.Web.Services;

/// <summary>
/// What the portal's forms create, through the very services the REST API calls (so a page and <c>POST /api/...</c>
/// can never disagree), with the services' field rules exposed so a form checks them beside each field first and
/// never sends an invalid create. Writes are refused to a viewer (<see cref="PortalWriteGuard"/>), though the form
/// pages already are.
/// </summary>
public sealed class PortalForms(
    ModelService models,
    ConfigurationService configurations,
    DeploymentService deployments,
    PortalWriteGuard guard)
{
    // ---- the rules, checked in the browser's circuit before any create ----

    public static FieldErrors Check(ModelRequest request) => new(ModelService.Check(request));

    public static FieldErrors Check(ConfigurationRequest request) => new(ConfigurationService.Check(request));

    public static FieldErrors Check(DeploymentRequest request) => new(DeploymentService.Check(request));

    // ---- models ----

    public async Task<ModelResponse?> ModelAsync(int id, CancellationToken cancellationToken = default) =>
        (await models.GetAsync(id, cancellationToken)).Value;

    /// <summary>Compiles, sandbox-checks and builds the script in a child process (<see cref="ModelValidator"/>).</summary>
    public Task<ModelValidation> ValidateModelAsync(string code, CancellationToken cancellationToken = default) =>
        models.ValidateAsync(code, inputShape: null, cancellationToken);

    public async Task<FormOutcome<ModelResponse>> SaveModelAsync(int? id, ModelRequest request, CancellationToken cancellationToken = default)
    {
        if (Check(request) is { Any: true } invalid) return FormOutcome<ModelResponse>.Invalid(invalid);
        if (await guard.RefusalAsync() is { } refusal) return FormOutcome<ModelResponse>.Refused(refusal);
        return FormOutcome<ModelResponse>.From(id is { } existing
            ? await models.UpdateAsync(existing, request, cancellationToken)
            : await models.CreateAsync(request, cancellationToken));
    }

    // ---- configurations ----

    public async Task<FormOutcome<ConfigurationResponse>> CreateConfigurationAsync(ConfigurationRequest request, CancellationToken cancellationToken = default)
    {
        if (Check(request) is { Any: true } invalid) return FormOutcome<ConfigurationResponse>.Invalid(invalid);
        if (await guard.RefusalAsync() is { } refusal) return FormOutcome<ConfigurationResponse>.Refused(refusal);
        return FormOutcome<ConfigurationResponse>.From(await configurations.CreateAsync(request, cancellationToken));
    }

    // ---- deployments ----

    public async Task<FormOutcome<DeploymentResponse>> CreateDeploymentAsync(DeploymentRequest request, CancellationToken cancellationToken = default)
    {
        if (Check(request) is { Any: true } invalid) return FormOutcome<DeploymentResponse>.Invalid(invalid);
        if (await guard.RefusalAsync() is { } refusal) return FormOutcome<DeploymentResponse>.Refused(refusal);
        return FormOutcome<DeploymentResponse>.From(await deployments.CreateAsync(request, cancellationToken));
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

    /// <summary>Reads a service's outcome: the value, the field messages (with a script's diagnostics), or the one problem.</summary>
    public static FormOutcome<T> From(Outcome<T> outcome) => outcome.Kind switch
    {
        OutcomeKind.Ok => new(outcome.Value, FieldErrors.None, null, []),
        OutcomeKind.Invalid => new(null, new FieldErrors(outcome.Errors), null, DiagnosticsOf(outcome.Failure!)),
        OutcomeKind.NotFound => new(null, FieldErrors.None, outcome.Problem ?? "Not found.", []),
        OutcomeKind.Conflict => new(null, FieldErrors.None, outcome.Problem ?? "In use.", []),
        _ => new(null, FieldErrors.None, outcome.Problem ?? "Failed.", []),
    };

    /// <summary>A model's compile errors ride along as the <c>diagnostics</c> extension.</summary>
    private static IReadOnlyList<ScriptDiagnostic> DiagnosticsOf(Failure failure) =>
        failure.Extensions.TryGetValue("diagnostics", out var value) && value is IReadOnlyList<ScriptDiagnostic> diagnostics ? diagnostics : [];
}
