using KafkaMl.Core.Domain;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Inference;

/// <summary>
/// Builds the model an inference replica serves: compiles and sandbox-checks the model script again (defence in
/// depth), runs it to build the module — <b>only in the job process</b>, never in the portal — and loads the
/// trained weights (TorchSharp's format, <see cref="ModelWeights.Load"/>).
/// </summary>
public static class InferenceModelLoader
{
    /// <param name="code">The model script.</param>
    /// <param name="weightsPath">The trained weights file.</param>
    /// <param name="scaler">The training's feature scaler, or null.</param>
    /// <param name="loss">The training loss name (<c>cross_entropy</c>, ...); null: the script's own, if any.</param>
    /// <param name="cancellationToken">Stops compiling/building.</param>
    /// <exception cref="InferenceSetupException">The script does not compile or build, the loss is unknown, or the weights do not fit.</exception>
    public static async Task<InferenceModel> LoadAsync(string code, string weightsPath, FeatureScaler? scaler, string? loss, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        var compiler = new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = TimeSpan.FromMinutes(5), CacheSize = 1 });
        var compilation = await compiler.CompileAsync(code, cancellationToken).ConfigureAwait(false);
        if (!compilation.Success)
            throw new InferenceSetupException($"The model script does not compile:{Environment.NewLine}{compilation.ErrorSummary}");

        ModelDefinition definition;
        try
        {
            definition = await ModelScriptRunner.BuildAsync(compilation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InferenceSetupException($"Building the model failed: {e.GetType().Name}: {e.Message}", e);
        }

        Loss? parsedLoss = null;
        var lossName = string.IsNullOrWhiteSpace(loss) ? definition.Loss : loss;
        if (!string.IsNullOrWhiteSpace(lossName))
        {
            if (!EnumNames.TryParse<Loss>(lossName, out var value))
                throw new InferenceSetupException($"'{lossName}' is not a known loss; use one of {string.Join(", ", EnumNames.Names<Loss>())}.");
            parsedLoss = value;
        }

        try
        {
            ModelWeights.Load(definition.Module, weightsPath);
            return new InferenceModel(definition.Module, scaler, parsedLoss, definition.InputShape);
        }
        catch (Exception e) when (e is TrainingException or ArgumentException or IOException)
        {
            definition.Module.Dispose();
            throw new InferenceSetupException(e.Message, e);
        }
    }
}

/// <summary>The model or its inputs cannot be set up for inference; the message says why.</summary>
public sealed class InferenceSetupException : Exception
{
    public InferenceSetupException(string message) : base(message) { }

    public InferenceSetupException(string message, Exception inner) : base(message, inner) { }
}
