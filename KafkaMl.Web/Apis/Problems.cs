using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>The RFC 7807 answers the APIs share, and how a service's <see cref="Failure"/> becomes one.</summary>
internal static class Problems
{
    public static NotFound<ProblemDetails> NotFound(Failure failure) => NotFound(failure.Problem ?? "Not found.");

    /// <summary>A 409 "In use" carrying the failure's reason and the facts it names (e.g. <c>inferenceIds</c>).</summary>
    public static Conflict<ProblemDetails> Conflict(Failure failure)
    {
        var problem = new ProblemDetails { Status = StatusCodes.Status409Conflict, Title = "In use", Detail = failure.Problem };
        foreach (var (name, value) in failure.Extensions) problem.Extensions[name] = value;
        return TypedResults.Conflict(problem);
    }

    /// <summary>A 400 with the failure's field messages (and its extensions, e.g. a script's <c>diagnostics</c>).</summary>
    public static ValidationProblem Validation(Failure failure)
    {
        var problem = TypedResults.ValidationProblem(failure.Errors);
        foreach (var (name, value) in failure.Extensions) problem.ProblemDetails.Extensions[name] = value;
        return problem;
    }

    public static NotFound<ProblemDetails> NotFound(string detail) => TypedResults.NotFound(new ProblemDetails
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Not found",
        Detail = detail,
    });

    public static Conflict<ProblemDetails> Conflict(string detail, string extension, object value) => TypedResults.Conflict(new ProblemDetails
    {
        Status = StatusCodes.Status409Conflict,
        Title = "In use",
        Detail = detail,
        Extensions = { [extension] = value },
    });

    public static ValidationProblem Validation(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>Field-level validation messages collected before a <see cref="ValidationProblem"/> is answered.</summary>
internal sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public bool Any => errors.Count > 0;

    /// <summary>True when <paramref name="field"/> has a message.</summary>
    public bool Has(string field) => errors.ContainsKey(field);

    /// <summary>The messages by field, as a validation problem carries them (and the portal's forms show them).</summary>
    public IReadOnlyDictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public void Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var messages)) errors[field] = messages = [];
        messages.Add(message);
    }

    public ValidationProblem ToProblem() =>
        TypedResults.ValidationProblem(ToDictionary());

    /// <summary>The messages as a service's invalid outcome.</summary>
    public Failure ToFailure() => Outcome.Invalid(ToDictionary());
}

/// <summary>Rules shared by the named resources (models, configurations).</summary>
internal static class NameRules
{
    /// <summary>Trims <paramref name="name"/> and records why it is unusable (empty, too long), if it is.</summary>
    public static string Check(string? name, int maxLength, ValidationErrors errors)
    {
        var trimmed = name?.Trim() ?? "";
        if (trimmed.Length == 0) errors.Add("name", "A name is required.");
        else if (trimmed.Length > maxLength) errors.Add("name", $"A name has at most {maxLength} characters ({trimmed.Length} given).");
        return trimmed;
    }
}
