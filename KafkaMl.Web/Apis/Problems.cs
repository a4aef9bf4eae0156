using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>The RFC 7807 answers the APIs share.</summary>
internal static class Problems
{
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
