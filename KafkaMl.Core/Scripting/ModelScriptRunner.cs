using KafkaMl.Core.Training;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// Runs a compiled model script to build its module. <b>Only job processes call this</b> (the <c>model-check</c>,
/// <c>train</c> and <c>infer</c> verbs, each a short-lived child with time and memory limits): the script is
/// untrusted, and the sandbox's static check is a first line of defence, not a reason to run it in the portal.
/// </summary>
public static class ModelScriptRunner
{
    /// <summary>Runs the script and returns its model (a bare module is wrapped in a <see cref="ModelDefinition"/>).</summary>
    /// <exception cref="InvalidOperationException">The compilation failed, or the script returned something else than a model.</exception>
    /// <exception cref="Exception">Whatever the script throws while it builds the module.</exception>
    public static async Task<ModelDefinition> BuildAsync(ModelCompilation compilation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compilation);
        if (!compilation.Success || compilation.Script is null)
            throw new InvalidOperationException($"The model script cannot be run: it did not pass compilation.{Environment.NewLine}{compilation.ErrorSummary}");
        TorchNative.EnsureLoadable();
        var state = await compilation.Script.RunAsync(globals: null, cancellationToken);
        return ModelDefinition.FromScriptResult(state.ReturnValue);
    }
}
