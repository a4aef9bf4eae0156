using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Tests.Inference;

/// <summary>The HCOPD MLP the inference specs serve, its script, a scaler and files for replica processes.</summary>
internal static class InferenceModels
{
    /// <summary>The same module tree as <see cref="Hcopd"/> (same state-dict names), as a model script.</summary>
    public const string HcopdScript = """Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))""";

    /// <summary>Standardisation fitted on HCOPD-like features (gender, age, smoking).</summary>
    public static FeatureScaler Scaler { get; } = new([0.5f, 62f, 2f], [0.5f, 12f, 0.8f]);

    /// <summary>The paper's MLP with its initial (random) weights: predictions only need to agree with the in-process predictor.</summary>
    public static Module<Tensor, Tensor> Hcopd() =>
        Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)));

    public static InferenceModel Served(Module<Tensor, Tensor> module) => new(module, Scaler, Loss.CrossEntropy);

    /// <summary>Writes the script, the weights and the scaler of <paramref name="module"/> for an <c>infer</c> process.</summary>
    public static ModelFiles Save(Module<Tensor, Tensor> module)
    {
        var directory = Directory.CreateTempSubdirectory("kafkaml-infer-specs-").FullName;
        var files = new ModelFiles(directory, Path.Combine(directory, "hcopd.csx"), Path.Combine(directory, "hcopd.weights"), Path.Combine(directory, "scaler.json"));
        File.WriteAllText(files.Script, HcopdScript);
        ModelWeights.Save(module, files.Weights);
        Scaler.Save(files.Scaler);
        return files;
    }
}

internal sealed record ModelFiles(string Directory, string Script, string Weights, string Scaler) : IDisposable
{
    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A model that refuses samples with a feature above 1000 (to show one bad message is isolated from its batch).</summary>
internal sealed class PickyModel : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> _inner;

    public PickyModel(Module<Tensor, Tensor> inner) : base(nameof(PickyModel))
    {
        _inner = inner;
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        if (input.gt(1000).any().item<bool>()) throw new InvalidOperationException("a feature above 1000 is not allowed");
        return _inner.forward(input);
    }
}
