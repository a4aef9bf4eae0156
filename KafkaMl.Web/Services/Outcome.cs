namespace KafkaMl.Web.Services;

/// <summary>How a use case ended; the API maps each kind to one status code, the pages to a message.</summary>
public enum OutcomeKind
{
    /// <summary>Done; <see cref="Outcome{T}.Value"/> holds the result.</summary>
    Ok,

    /// <summary>The resource (or one it needs) does not exist (404).</summary>
    NotFound,

    /// <summary>Field-level messages (400 validation problem, messages beside the form's fields).</summary>
    Invalid,

    /// <summary>The resource is in a state or use that forbids it (409).</summary>
    Conflict,

    /// <summary>Something outside the portal (job runner, Kafka) failed (5xx).</summary>
    Failed,

    /// <summary>Something outside the portal (Kafka) cannot be reached now; the same request may succeed later (503).</summary>
    Unavailable,
}

/// <summary>
/// Why a use case did not succeed, without the value type, so a service can <c>return Outcome.NotFound(...)</c>
/// from any method answering an <see cref="Outcome{T}"/>.
/// </summary>
/// <param name="Problem">The sentence for the whole request (not found, conflict, failed).</param>
/// <param name="Errors">Messages by field (the API's names: <c>name</c>, <c>earlyStopping.patience</c>, ...).</param>
/// <param name="Extensions">Facts that ride along: the ids a conflict names, a script's diagnostics.</param>
public sealed record Failure(
    OutcomeKind Kind,
    string? Problem,
    IReadOnlyDictionary<string, string[]> Errors,
    IReadOnlyDictionary<string, object?> Extensions);

/// <summary>What a use case came to: a value, or a <see cref="Failure"/> saying why not.</summary>
public sealed record Outcome<T>(T? Value, Failure? Failure)
{
    public OutcomeKind Kind => Failure?.Kind ?? OutcomeKind.Ok;

    public bool Succeeded => Failure is null;

    public string? Problem => Failure?.Problem;

    public IReadOnlyDictionary<string, string[]> Errors => Failure?.Errors ?? Outcome.NoErrors;

    public static implicit operator Outcome<T>(Failure failure) => new(default, failure);

    /// <summary>The value changed by <paramref name="change"/> when there is one; the failure as it is otherwise.</summary>
    public Outcome<T> Map(Func<T, T> change) => Failure is null && Value is { } value ? new(change(value), null) : this;
}

/// <summary>The value of a use case that answers nothing but success (a delete).</summary>
public sealed record Done
{
    public static readonly Done Value = new();

    private Done()
    {
    }
}

public static class Outcome
{
    internal static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();
    private static readonly IReadOnlyDictionary<string, object?> NoExtensions = new Dictionary<string, object?>();

    public static Outcome<T> Ok<T>(T value) => new(value, null);

    public static Failure NotFound(string problem) => new(OutcomeKind.NotFound, problem, NoErrors, NoExtensions);

    public static Failure Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static Failure Invalid(IReadOnlyDictionary<string, string[]> errors, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(OutcomeKind.Invalid, null, errors, extensions ?? NoExtensions);

    /// <summary>A conflict with its reason and the one fact the API adds to the problem (e.g. <c>inferenceIds</c>).</summary>
    public static Failure Conflict(string reason, string extension, object value) =>
        new(OutcomeKind.Conflict, reason, NoErrors, new Dictionary<string, object?> { [extension] = value });

    /// <summary>A conflict with its reason only.</summary>
    public static Failure Conflict(string reason) => new(OutcomeKind.Conflict, reason, NoErrors, NoExtensions);

    public static Failure Failed(string problem) => new(OutcomeKind.Failed, problem, NoErrors, NoExtensions);

    public static Failure Unavailable(string problem) => new(OutcomeKind.Unavailable, problem, NoErrors, NoExtensions);
}
