namespace KafkaMl.Tests.PyTorch;

/// <summary>The model check's work in this process, on the real script (the portal runs it in the model-check child process).</summary>
internal sealed class InProcessBuildChecker : IModelBuildChecker
{
    /// <summary>A validator with the real compiler and this checker, shared so its caches spare the tests rebuilding scripts.</summary>
    public static ModelValidator Validator { get; } = new(new ModelScriptCompiler(), new InProcessBuildChecker());

    public Task<ModelCheckReport> CheckAsync(string code, IReadOnlyList<long>? inputShape, CancellationToken cancellationToken) =>
        ModelScriptInspector.InspectAsync(code, inputShape, cancellationToken);
}
