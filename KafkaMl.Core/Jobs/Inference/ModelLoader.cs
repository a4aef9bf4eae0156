using KafkaMl.Core.Domain;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Inference;

/// <summary>
/// Makes the models a replica serves from one model script: compiled once (<see cref="CompileAsync"/>, sandbox-checked
/// again: defence in depth), then each model version is a new module built from that compilation with its own weights
/// and scaler (<see cref="LoadAsync"/>) — <b>only in the job process</b>, never in the portal.
/// </summary>
public sealed class ModelLoader
{
    private readonly ModelCompilation _compilation;
    private readonly string? _loss;

    private Func<InferenceModel, InferenceModel>? _adapt;

    private ModelLoader(ModelCompilation compilation, string? loss) => (_compilation, _loss) = (compilation, loss);

    /// <summary>
    /// A loader of the same compilation whose models are made into what the replica serves by <paramref name="adapt"/>
    /// (one stage of an early-exit chain: <see cref="ChainStageSetup"/>), every version alike.
    /// </summary>
    public ModelLoader ForStage(Func<InferenceModel, InferenceModel> adapt) => new(_compilation, _loss) { _adapt = adapt };

    /// <summary>Compiles <paramref name="code"/>; <paramref name="loss"/> names the training loss (null: the script's own, if any).</summary>
    /// <exception cref="InferenceSetupException">The script does not compile.</exception>
    public static async Task<ModelLoader> CompileAsync(string code, string? loss, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(code);
        var compilation = await ModelBuilder.CompileAsync(code, compiler: null, cancellationToken).ConfigureAwait(false);
        if (!compilation.Success) throw new InferenceSetupException(new ModelBuildException(compilation).Message);
        return new ModelLoader(compilation, string.IsNullOrWhiteSpace(loss) ? null : loss);
    }

    /// <summary>A new module from the compilation, with the weights at <paramref name="weightsPath"/> (TorchSharp's format) and <paramref name="scaler"/>.</summary>
    /// <exception cref="InferenceSetupException">The script throws while building, the loss is unknown, or the weights or scaler do not fit.</exception>
    public async Task<InferenceModel> LoadAsync(string weightsPath, FeatureScaler? scaler, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        ModelDefinition definition;
        try
        {
            definition = await ModelBuilder.BuildAsync(_compilation, seed: null, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelBuildException e)
        {
            throw new InferenceSetupException(e.Message, e);
        }

        try
        {
            var lossName = _loss ?? definition.Loss;
            Loss? loss = null;
            if (!string.IsNullOrWhiteSpace(lossName))
            {
                if (!EnumNames.TryParse<Loss>(lossName, out var value))
                    throw new InferenceSetupException($"'{lossName}' is not a known loss; use one of {string.Join(", ", EnumNames.Names<Loss>())}.");
                loss = value;
            }
            ModelWeights.Load(definition.Module, weightsPath);
            var model = new InferenceModel(definition.Module, scaler, loss, definition.InputShape);
            return _adapt is null ? model : _adapt(model);
        }
        catch (Exception e) when (e is TrainingException or ArgumentException or IOException or InferenceSetupException or Chains.ChainShapeException)
        {
            definition.Module.Dispose();
            throw e as InferenceSetupException ?? new InferenceSetupException(e.Message, e);
        }
    }
}
