using Microsoft.CodeAnalysis.Scripting;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// The outcome of compiling and sandbox-checking a model script with <see cref="ModelScriptCompiler"/>.
/// </summary>
/// <remarks>
/// <see cref="Script"/> is compiled (diagnostics computed) but never emitted or run by the compiler: running it —
/// <see cref="ModelScriptRunner"/> — belongs to short-lived job processes, never to the portal.
/// </remarks>
public sealed class ModelCompilation
{
    internal ModelCompilation(string codeHash, IReadOnlyList<ScriptDiagnostic> diagnostics, Script<object>? script, bool timedOut)
    {
        CodeHash = codeHash;
        Diagnostics = diagnostics;
        Script = script;
        TimedOut = timedOut;
        Success = script is not null && !diagnostics.Any(d => d.Severity == ScriptDiagnosticSeverity.Error);
    }

    /// <summary>The script compiled, passed the sandbox check and ends with a model expression.</summary>
    public bool Success { get; }

    /// <summary>Compiler and sandbox diagnostics (errors and warnings), in text order.</summary>
    public IReadOnlyList<ScriptDiagnostic> Diagnostics { get; }

    /// <summary>The errors among <see cref="Diagnostics"/>.</summary>
    public IEnumerable<ScriptDiagnostic> Errors => Diagnostics.Where(d => d.Severity == ScriptDiagnosticSeverity.Error);

    /// <summary>Lowercase hex SHA-256 of the script's UTF-8 text: the cache key.</summary>
    public string CodeHash { get; }

    /// <summary>Compilation was stopped at the time limit (never cached).</summary>
    public bool TimedOut { get; }

    /// <summary>The compiled script, for processes that execute it; null when compilation did not finish.</summary>
    public Script<object>? Script { get; }

    /// <summary>All errors, one per line (<c>3:5: error CS1002: ; expected</c>); empty when there are none.</summary>
    public string ErrorSummary => string.Join(Environment.NewLine, Errors);
}
