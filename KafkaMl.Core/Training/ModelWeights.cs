using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Training;

/// <summary>
/// Saves and loads a model's weights: TorchSharp's own format (<c>module.save</c>/<c>load</c>) and,
/// for PyTorch, safetensors of the model's <c>state_dict()</c>.
/// </summary>
/// <remarks>
/// The safetensors names are the model's state-dict names, which are PyTorch's for the equivalent
/// module tree: for <c>Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))</c>
/// they are <c>fc1.weight</c> [4, 3], <c>fc1.bias</c> [4], <c>fc2.weight</c> [2, 4], <c>fc2.bias</c> [2];
/// an unnamed <c>Sequential(...)</c> uses the indices (<c>1.weight</c>, ...), as PyTorch does. In PyTorch:
/// <code>
/// from collections import OrderedDict
/// from safetensors.torch import load_file
/// model = nn.Sequential(OrderedDict(drop=nn.Dropout(0.2), fc1=nn.Linear(3, 4), sig=nn.Sigmoid(), fc2=nn.Linear(4, 2)))
/// model.load_state_dict(load_file("model.safetensors"))
/// </code>
/// </remarks>
public static class ModelWeights
{
    /// <summary>The metadata every export carries (<c>format: pt</c>, as <c>safetensors.torch.save_file</c> writes).</summary>
    public static IReadOnlyDictionary<string, string> DefaultMetadata { get; } = new Dictionary<string, string> { ["format"] = "pt" };

    /// <summary>Saves the weights in TorchSharp's format (loadable only by TorchSharp).</summary>
    public static void Save(Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.save(path);
    }

    /// <summary>Loads weights saved by <see cref="Save"/> into a model built the same way.</summary>
    public static void Load(Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            model.load(path, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or EndOfStreamException or IOException and not FileNotFoundException)
        {
            throw new TrainingException($"The weights in '{Path.GetFileName(path)}' do not fit this model: {e.Message}", e);
        }
    }

    /// <summary>Loads (<see cref="Load"/>) the weights <paramref name="download"/> writes to <paramref name="path"/>, a temporary file deleted afterwards.</summary>
    public static async Task LoadDownloadedAsync(Module model, string path, Func<string, Task> download)
    {
        ArgumentNullException.ThrowIfNull(download);
        try
        {
            await download(path).ConfigureAwait(false);
            Load(model, path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Writes the model's <c>state_dict()</c> (parameters and buffers) as safetensors, with
    /// <see cref="DefaultMetadata"/> plus <paramref name="metadata"/>.
    /// </summary>
    public static void ExportSafeTensors(Module model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var all = new Dictionary<string, string>(DefaultMetadata);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) all[key] = value;
        // state_dict() hands out the model's own tensors: never dispose them.
        SafeTensorsWriter.Write(path, model.state_dict(), all);
    }

    /// <summary>
    /// Copies the tensors of a safetensors file into the model's state, by name. With
    /// <paramref name="strict"/>, every state-dict entry must be in the file and nothing else; shapes
    /// must always match. Throws <see cref="TrainingException"/> listing what does not fit.
    /// </summary>
    public static void ImportSafeTensors(Module model, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var file = SafeTensorsReader.Read(path);
        var state = model.state_dict();
        if (strict)
        {
            var missing = state.Keys.Where(k => !file.ByName.ContainsKey(k)).ToList();
            var unexpected = file.ByName.Keys.Where(k => !state.ContainsKey(k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new TrainingException($"The weights in '{Path.GetFileName(path)}' do not fit this model: " +
                    $"missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].");
        }
        foreach (var (name, target) in state)
        {
            if (!file.ByName.TryGetValue(name, out var source)) continue;
            if (!source.shape.SequenceEqual(target.shape))
                throw new TrainingException($"The weight '{name}' has shape {SampleSet.Describe(source.shape)} in the file but {SampleSet.Describe(target.shape)} in the model.");
        }
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, target) in state)
            if (file.ByName.TryGetValue(name, out var source)) target.copy_(source);
    }
}
