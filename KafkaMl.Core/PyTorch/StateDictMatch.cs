using static TorchSharp.torch;

namespace KafkaMl.Core.PyTorch;

/// <summary>
/// One entry of the state dict a model script builds (parameters and buffers), as the model check reports it:
/// <c>{"name":"0.weight","shape":[8,6],"dtype":"float32"}</c>.
/// </summary>
public sealed record ModelTensor(string Name, IReadOnlyList<long> Shape, string Dtype)
{
    /// <summary>The state dict of <paramref name="module"/> as the model check reports it.</summary>
    public static IReadOnlyList<ModelTensor> Of(nn.Module module) =>
        [.. module.state_dict().Select(entry => new ModelTensor(entry.Key, entry.Value.shape, StateTensorTypes.Describe(entry.Value.dtype)))];
}

/// <summary>Why one tensor does not fit: the tensor's name and a readable reason.</summary>
public sealed record TensorMismatch(string Name, string Problem);

/// <summary>
/// Checks imported weights against the state dict the model script builds: every name present, nothing more, the same
/// shapes and element types. A file saved from a wrapper (<c>nn.DataParallel</c> / DDP) carries every name under
/// <c>module.</c>; that prefix is taken off when the names fit only without it.
/// </summary>
public static class StateDictMatch
{
    public const string WrapperPrefix = "module.";

    /// <summary>The tensors renamed and ordered as the model names them, or every mismatch (each tensor named).</summary>
    public static (IReadOnlyList<StateTensor> Tensors, IReadOnlyList<TensorMismatch> Mismatches) Match(
        IReadOnlyList<StateTensor> imported, IReadOnlyList<ModelTensor> expected)
    {
        ArgumentNullException.ThrowIfNull(imported);
        ArgumentNullException.ThrowIfNull(expected);
        var wanted = expected.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        if (imported.Count > 0 && imported.All(t => t.Name.StartsWith(WrapperPrefix, StringComparison.Ordinal))
            && !imported.Any(t => wanted.Contains(t.Name)))
            imported = [.. imported.Select(t => t with { Name = t.Name[WrapperPrefix.Length..] })];

        var byName = imported.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var mismatches = new List<TensorMismatch>();
        var matched = new List<StateTensor>();
        foreach (var model in expected)
        {
            if (!byName.TryGetValue(model.Name, out var tensor))
            {
                mismatches.Add(new(model.Name, $"missing: the model has '{model.Name}' of shape {StateTensor.Describe(model.Shape)}, the file does not."));
                continue;
            }
            if (!tensor.Shape.SequenceEqual(model.Shape))
                mismatches.Add(new(model.Name, $"wrong shape: {StateTensor.Describe(tensor.Shape)} in the file, {StateTensor.Describe(model.Shape)} in the model."));
            else if (StateTensorTypes.Describe(tensor.Type) != model.Dtype)
                mismatches.Add(new(model.Name, $"wrong type: {StateTensorTypes.Describe(tensor.Type)} in the file, {model.Dtype} in the model (convert it, e.g. model.float())."));
            else matched.Add(tensor);
        }
        foreach (var extra in imported.Where(t => !wanted.Contains(t.Name)))
            mismatches.Add(new(extra.Name, $"unexpected: the file has '{extra.Name}' of shape {StateTensor.Describe(extra.Shape)}, the model does not."));
        return mismatches.Count > 0 ? ([], mismatches) : (matched, []);
    }

    /// <summary>The tensors of a weights file: a <c>torch.save</c> zip or safetensors, told apart by their first bytes.</summary>
    /// <exception cref="WeightsFormatException">Neither, or a pickle carrying anything but tensors.</exception>
    public static IReadOnlyList<StateTensor> Read(byte[] file) =>
        TorchStateDictReader.LooksLikeZip(file) ? TorchStateDictReader.Read(file) : SafeTensorsBytes.Read(file);
}
