using System.Collections.Concurrent;
using KafkaMl.Core.Scripting;

namespace KafkaMl.Web.Services;

/// <summary>Builds a model script and runs a dry forward pass somewhere it can do no harm.</summary>
public interface IModelBuildChecker
{
    Task<ModelCheckReport> CheckAsync(string code, IReadOnlyList<long>? inputShape, CancellationToken cancellationToken);
}

/// <summary>The real build check: the <c>model-check</c> child process, with time and memory limits (<see cref="ModelScriptChecker"/>).</summary>
public sealed class ChildProcessModelBuildChecker(ModelScriptChecker checker) : IModelBuildChecker
{
    public Task<ModelCheckReport> CheckAsync(string code, IReadOnlyList<long>? inputShape, CancellationToken cancellationToken) =>
        checker.CheckAsync(code, inputShape, cancellationToken);
}

/// <summary>What validating a model script found; <see cref="Check"/> is null when the script did not compile.</summary>
public sealed record ModelValidation(bool Ok, IReadOnlyList<ScriptDiagnostic> Diagnostics, string? Error, ModelCheckReport? Check)
{
    /// <summary>The errors as field messages: <c>line 2, column 5: The name 'x' does not exist ... (CS0103)</c>.</summary>
    public IReadOnlyList<string> Messages()
    {
        var positioned = Diagnostics.Where(d => d.Severity == ScriptDiagnosticSeverity.Error)
            .Select(d => $"line {d.Line}, column {d.Column}: {d.Message} ({d.Id})")
            .ToList();
        if (positioned.Count == 0 && !Ok) positioned.Add(Error ?? "The model script is not valid.");
        return positioned;
    }
}

/// <summary>
/// Validates model scripts for the models API: compile and sandbox-check in this process
/// (<see cref="ModelScriptCompiler"/>, cached by code hash, never run), then — only when that passes — build the
/// module and run a dry forward pass in the <c>model-check</c> child process (<see cref="IModelBuildChecker"/>).
/// Successful build checks are remembered by code hash and input shape, so validating then saving the same script
/// starts one child process, not two.
/// </summary>
public sealed class ModelValidator(ModelScriptCompiler compiler, IModelBuildChecker checker)
{
    private const int MaxRemembered = 256;
    private readonly ConcurrentDictionary<string, ModelCheckReport> passed = new(StringComparer.Ordinal);

    public async Task<ModelValidation> ValidateAsync(string code, IReadOnlyList<long>? inputShape, CancellationToken cancellationToken)
    {
        var compilation = await compiler.CompileAsync(code, cancellationToken);
        if (!compilation.Success)
            return new ModelValidation(false, compilation.Diagnostics, compilation.ErrorSummary, Check: null);

        var key = compilation.CodeHash + "|" + (inputShape is null ? "" : ModelInputShape.Format(inputShape));
        if (!passed.TryGetValue(key, out var report))
        {
            report = await checker.CheckAsync(code, inputShape, cancellationToken);
            if (report.Ok)
            {
                if (passed.Count >= MaxRemembered) passed.Clear();
                passed[key] = report;
            }
        }

        var diagnostics = compilation.Diagnostics
            .Concat(report.Diagnostics ?? [])
            .DistinctBy(d => (d.Id, d.Line, d.Column, d.Message))
            .OrderBy(d => d.Line).ThenBy(d => d.Column)
            .ToList();
        return new ModelValidation(report.Ok, diagnostics, report.Ok ? null : Describe(report), report);
    }

    private static string Describe(ModelCheckReport report) => report.Failure switch
    {
        ModelCheckFailure.Build => $"Building the model failed: {report.Error}",
        ModelCheckFailure.Forward => $"The dry forward pass failed: {report.Error}",
        _ => report.Error ?? "The model check failed.",
    };
}
