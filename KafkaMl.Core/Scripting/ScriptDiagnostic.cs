using System.Text.Json.Serialization;
using Microsoft.CodeAnalysis;

namespace KafkaMl.Core.Scripting;

/// <summary>How serious a <see cref="ScriptDiagnostic"/> is; only errors make a script invalid.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ScriptDiagnosticSeverity>))]
public enum ScriptDiagnosticSeverity
{
    [JsonStringEnumMemberName("error")] Error,
    [JsonStringEnumMemberName("warning")] Warning,
    [JsonStringEnumMemberName("info")] Info,
}

/// <summary>
/// A problem found in a model script, positioned in the user's own text: lines and columns are 1-based and the end
/// is exclusive (the position just after the offending text). Compiler diagnostics keep Roslyn's ids
/// (<c>CS1002</c>, ...); KafkaMl's own use <see cref="ScriptDiagnosticIds"/>.
/// </summary>
public sealed record ScriptDiagnostic(
    ScriptDiagnosticSeverity Severity,
    string Message,
    string Id,
    int Line,
    int Column,
    int EndLine,
    int EndColumn)
{
    /// <summary>A diagnostic covering <paramref name="span"/> of <paramref name="tree"/>.</summary>
    public static ScriptDiagnostic At(SyntaxTree tree, Microsoft.CodeAnalysis.Text.TextSpan span, string id, string message,
        ScriptDiagnosticSeverity severity = ScriptDiagnosticSeverity.Error)
    {
        var lines = tree.GetLineSpan(span);
        return new(severity, message, id,
            lines.StartLinePosition.Line + 1, lines.StartLinePosition.Character + 1,
            lines.EndLinePosition.Line + 1, lines.EndLinePosition.Character + 1);
    }

    /// <summary>A diagnostic without a position in the script (e.g. a timeout): line and column 1.</summary>
    public static ScriptDiagnostic Unpositioned(string id, string message) =>
        new(ScriptDiagnosticSeverity.Error, message, id, 1, 1, 1, 1);

    /// <summary>Converts a Roslyn diagnostic; positions outside the script's text become line 1, column 1.</summary>
    public static ScriptDiagnostic From(Diagnostic diagnostic)
    {
        var severity = diagnostic.Severity switch
        {
            DiagnosticSeverity.Error => ScriptDiagnosticSeverity.Error,
            DiagnosticSeverity.Warning => ScriptDiagnosticSeverity.Warning,
            _ => ScriptDiagnosticSeverity.Info,
        };
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        if (!diagnostic.Location.IsInSource)
            return new(severity, message, diagnostic.Id, 1, 1, 1, 1);
        var lines = diagnostic.Location.GetLineSpan();
        return new(severity, message, diagnostic.Id,
            lines.StartLinePosition.Line + 1, lines.StartLinePosition.Character + 1,
            lines.EndLinePosition.Line + 1, lines.EndLinePosition.Character + 1);
    }

    /// <summary><c>3:5: error CS1002: ; expected</c>.</summary>
    public override string ToString() =>
        $"{Line}:{Column}: {Severity.ToString().ToLowerInvariant()} {Id}: {Message}";
}

/// <summary>The ids of KafkaMl's own model-script diagnostics.</summary>
public static class ScriptDiagnosticIds
{
    /// <summary>Compilation did not finish within the time limit.</summary>
    public const string CompileTimeout = "KML0001";

    /// <summary>The script does not end with an expression that is the model, or that expression has the wrong type.</summary>
    public const string WrongResult = "KML0002";

    /// <summary>The script is empty or too long.</summary>
    public const string InvalidText = "KML0003";

    /// <summary>The script uses a type or member outside the sandbox's allow-list.</summary>
    public const string ForbiddenApi = "KML1001";

    /// <summary>The script uses a <c>#r</c> or <c>#load</c> directive.</summary>
    public const string ForbiddenDirective = "KML1002";

    /// <summary>The script uses a forbidden language construct (<c>unsafe</c>, pointers, <c>extern</c>, <c>dynamic</c>, ...).</summary>
    public const string ForbiddenConstruct = "KML1003";
}
