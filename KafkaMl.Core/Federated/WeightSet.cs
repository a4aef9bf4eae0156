using TorchSharp;
using KafkaMl.Core.Training;
using static TorchSharp.torch;

namespace KafkaMl.Core.Federated;

/// <summary>One named tensor of a model's state, its values held as doubles so aggregation is exact arithmetic.</summary>
/// <param name="Name">The state-dict name (<c>fc1.weight</c>).</param>
/// <param name="Type">The tensor's element type (restored when the set becomes tensors again).</param>
/// <param name="Shape">The tensor's shape.</param>
/// <param name="Values">The elements in C order.</param>
public sealed record WeightTensor(string Name, ScalarType Type, long[] Shape, double[] Values)
{
    /// <summary>Floating tensors are averaged; integer buffers (a batch-norm counter) are carried over.</summary>
    public bool IsFloating => Type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    public WeightTensor WithValues(double[] values) => this with { Values = values };
}

/// <summary>
/// A model's state (parameters and buffers) by name, in a stable order: what travels between the coordinator and the
/// sites as safetensors bytes (the format of the result bundles) and what the aggregation strategies combine.
/// </summary>
public sealed class WeightSet
{
    public WeightSet(IEnumerable<WeightTensor> tensors)
    {
        Tensors = [.. tensors.OrderBy(t => t.Name, StringComparer.Ordinal)];
        ByName = Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        if (ByName.Count != Tensors.Count) throw new ArgumentException("A weight set cannot name a tensor twice.", nameof(tensors));
    }

    public IReadOnlyList<WeightTensor> Tensors { get; }

    public IReadOnlyDictionary<string, WeightTensor> ByName { get; }

    /// <summary>The model's current state.</summary>
    public static WeightSet FromModel(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return FromTensors(model.state_dict());
    }

    /// <summary>Reads safetensors bytes; throws <see cref="InvalidDataException"/> when they are not a valid file.</summary>
    public static WeightSet FromSafeTensors(byte[] bytes)
    {
        using var file = SafeTensorsReader.Read(new MemoryStream(bytes, writable: false));
        return FromTensors(file.Tensors);
    }

    /// <summary>The set as safetensors bytes, with <paramref name="metadata"/>.</summary>
    public byte[] ToSafeTensors(IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = NewDisposeScope();
        var tensors = Tensors.Select(t => new KeyValuePair<string, Tensor>(t.Name, ToTensor(t))).ToList();
        var stream = new MemoryStream();
        SafeTensorsWriter.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>Copies the set into <paramref name="model"/>'s state; the names and shapes must be the model's.</summary>
    public void LoadInto(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var state = model.state_dict();
        if (Mismatch(FromTensors(state)) is { } problem) throw new TrainingException($"These weights do not fit the model: {problem}");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, target) in state) target.copy_(ToTensor(ByName[name]));
    }

    /// <summary>What differs between this set's names, shapes and types and <paramref name="expected"/>'s; null when they agree.</summary>
    public string? Mismatch(WeightSet expected)
    {
        var missing = expected.ByName.Keys.Where(k => !ByName.ContainsKey(k)).ToList();
        var unexpected = ByName.Keys.Where(k => !expected.ByName.ContainsKey(k)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
            return $"wrong tensor names: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}].";
        foreach (var tensor in Tensors)
        {
            var other = expected.ByName[tensor.Name];
            if (!tensor.Shape.SequenceEqual(other.Shape))
                return $"'{tensor.Name}' has shape {SampleSet.Describe(tensor.Shape)}, the model's is {SampleSet.Describe(other.Shape)}.";
            if (tensor.Type != other.Type) return $"'{tensor.Name}' is {tensor.Type}, the model's is {other.Type}.";
        }
        return null;
    }

    /// <summary>A set of the same names, shapes and types with every value from <paramref name="values"/>.</summary>
    public WeightSet Map(Func<WeightTensor, double[]> values) => new(Tensors.Select(t => t.WithValues(values(t))));

    private static WeightSet FromTensors(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        using var scope = NewDisposeScope();
        return new WeightSet(tensors.Select(pair =>
        {
            var tensor = pair.Value.detach().cpu();
            return new WeightTensor(pair.Key, tensor.dtype, tensor.shape, tensor.to(ScalarType.Float64).contiguous().data<double>().ToArray());
        }));
    }

    private static Tensor ToTensor(WeightTensor weights) => tensor(weights.Values, weights.Shape).to(weights.Type);
}
