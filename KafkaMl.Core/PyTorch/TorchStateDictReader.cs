using System.IO.Compression;
using static TorchSharp.torch;

namespace KafkaMl.Core.PyTorch;

/// <summary>
/// Reads a PyTorch state dict saved by <c>torch.save(model.state_dict(), "model.pt")</c>: a zip holding
/// <c>&lt;name&gt;/data.pkl</c> (a pickle of an <c>OrderedDict</c> of tensors, each rebuilt by
/// <c>torch._utils._rebuild_tensor_v2</c> from a storage named by a persistent id
/// <c>('storage', torch.FloatStorage, key, location, numel)</c>), the storages' raw bytes in <c>&lt;name&gt;/data/&lt;key&gt;</c>
/// and <c>&lt;name&gt;/byteorder</c>. The pickle is interpreted by <see cref="PickleMachine"/> against an allow-list of
/// exactly those globals: any other object (an <c>os.system</c> reduce, a class, a function) is refused with a
/// <see cref="WeightsFormatException"/> naming it, and nothing in the file is ever run.
/// </summary>
public static class TorchStateDictReader
{
    private const string OrderedDict = "collections.OrderedDict";
    private const string TorchUtils = "torch._utils";
    private static readonly string[] Rebuilders = ["_rebuild_tensor_v2", "_rebuild_tensor", "_rebuild_parameter"];

    /// <summary>Whether <paramref name="file"/> starts like a zip (what <c>torch.save</c> writes since PyTorch 1.6).</summary>
    public static bool LooksLikeZip(ReadOnlySpan<byte> file) => file.Length >= 4 && file[0] == 'P' && file[1] == 'K' && file[2] == 3 && file[3] == 4;

    /// <summary>The state dict's tensors in the pickle's order.</summary>
    /// <exception cref="WeightsFormatException">Not such a file, or it carries anything but tensors.</exception>
    public static IReadOnlyList<StateTensor> Read(byte[] file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!LooksLikeZip(file))
            throw new WeightsFormatException("Not a PyTorch zip file: save it with torch.save (PyTorch 1.6 or later, without _use_new_zipfile_serialization=False) or as safetensors.");
        try
        {
            using var archive = new ZipArchive(new MemoryStream(file, writable: false), ZipArchiveMode.Read);
            var pickles = archive.Entries.Where(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).ToList();
            if (pickles.Count != 1) throw new WeightsFormatException($"A torch.save file holds one data.pkl; this zip holds {pickles.Count}.");
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            if (archive.GetEntry(prefix + "byteorder") is { } order && ReadAll(order) is var bytes && System.Text.Encoding.ASCII.GetString(bytes).Trim() != "little")
                throw new WeightsFormatException("The file was saved on a big-endian machine; only little-endian tensors can be imported.");
            var root = new StateDictMachine(archive, prefix).Run(ReadAll(pickles[0]));
            return Tensors(root);
        }
        catch (InvalidDataException e)
        {
            throw new WeightsFormatException($"The zip is damaged: {e.Message}", e);
        }
    }

    private static IReadOnlyList<StateTensor> Tensors(object? root)
    {
        if (root is not PickleDict dict)
            throw new WeightsFormatException($"The file holds a {Describe(root)}, not a state dict: save model.state_dict(), not the model.");
        var tensors = new List<StateTensor>();
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name) throw new WeightsFormatException($"The state dict has a key {Describe(key)}; tensor names are strings.");
            if (value is not StateTensor tensor)
                throw new WeightsFormatException($"'{name}' holds a {Describe(value)}, not a tensor: save model.state_dict() itself (not a checkpoint dict around it).");
            tensors.RemoveAll(t => t.Name == name);
            tensors.Add(tensor with { Name = name });
        }
        return tensors;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        PickleDict => "dict",
        PickleTuple => "tuple",
        List<object?> => "list",
        string => "string",
        long => "int",
        double => "float",
        bool => "bool",
        _ => value.GetType().Name,
    };

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>One storage of the file: its element type and raw bytes.</summary>
    private sealed record Storage(ScalarType Type, int Size, byte[] Data, string Key);

    /// <summary>The allow-list: what a state dict of plain tensors names, and nothing else.</summary>
    private sealed class StateDictMachine(ZipArchive archive, string prefix) : PickleMachine
    {
        protected override PickleGlobal ResolveGlobal(string module, string name)
        {
            var allowed = (module, name) switch
            {
                ("collections", "OrderedDict") => true,
                (TorchUtils, _) => Rebuilders.Contains(name),
                ("torch", _) => StateTensorTypes.OfStorage(name) is not null,
                _ => false,
            };
            if (!allowed)
            {
                throw new WeightsFormatException(
                    $"The file refers to '{module}.{name}', which is not part of a state dict of plain tensors; only {OrderedDict}, "
                    + $"{TorchUtils}.{string.Join($"/", Rebuilders)} and the torch.*Storage types are accepted. It was refused before anything ran.");
            }
            return new PickleGlobal(module, name);
        }

        protected override object? Call(PickleGlobal callable, PickleTuple arguments)
        {
            var args = arguments.Items;
            switch (callable.ToString())
            {
                case OrderedDict:
                    var dict = new PickleDict(OrderedDict);
                    if (args is [List<object?> pairs])
                        foreach (var pair in pairs)
                            dict.Items.Add(pair is PickleTuple { Items: [var key, var value] } ? new(key, value) : throw new WeightsFormatException("OrderedDict built from something that is not pairs."));
                    else if (args.Length != 0) throw new WeightsFormatException("OrderedDict called with unexpected arguments.");
                    return dict;
                case $"{TorchUtils}._rebuild_tensor_v2" or $"{TorchUtils}._rebuild_tensor" when args.Length >= 4:
                    return Rebuild(args[0], args[1], args[2], args[3]);
                case $"{TorchUtils}._rebuild_parameter" when args.Length >= 1 && args[0] is StateTensor data:
                    return data;
                default:
                    throw new WeightsFormatException($"The file calls '{callable}' with arguments a state dict never has; it was refused before anything ran.");
            }
        }

        protected override object? PersistentLoad(object? id)
        {
            if (id is not PickleTuple { Items: ["storage", PickleGlobal { Module: "torch" } storageClass, string key, string, long numel] })
                throw new WeightsFormatException("The file has a persistent id that is not a tensor storage ('storage', torch.*Storage, key, location, numel).");
            var (type, size) = StateTensorTypes.OfStorage(storageClass.Name)!.Value;
            var entry = archive.GetEntry($"{prefix}data/{key}") ?? throw new WeightsFormatException($"Storage '{key}' is missing from the zip (data/{key}).");
            var data = ReadAll(entry);
            if (data.LongLength < checked(numel * size))
                throw new WeightsFormatException($"Storage '{key}' holds {data.Length} bytes, fewer than its {numel} {StateTensorTypes.Describe(type)} elements.");
            return new Storage(type, size, data, key);
        }

        protected override void Build(object? target, object? state)
        {
            // An OrderedDict from state_dict() carries _metadata (per-module versions): kept out, it holds no weights.
            if (target is PickleDict { Origin: OrderedDict }) return;
            throw new WeightsFormatException($"The file sets the state of a {Describe(target)}, which a state dict never does; it was refused before anything ran.");
        }

        /// <summary>The tensor's elements in C order, gathered from its storage by offset and strides.</summary>
        private static StateTensor Rebuild(object? storageValue, object? offsetValue, object? sizeValue, object? strideValue)
        {
            if (storageValue is not Storage storage || offsetValue is not long offset || sizeValue is not PickleTuple size || strideValue is not PickleTuple stride
                || size.Items.Length != stride.Items.Length || size.Items.Any(d => d is not long n || n < 0) || stride.Items.Any(s => s is not long))
                throw new WeightsFormatException("A tensor is rebuilt from arguments that are not (storage, offset, size, stride).");
            var shape = size.Items.Cast<long>().ToArray();
            var strides = stride.Items.Cast<long>().ToArray();
            var elements = shape.Aggregate(1L, (a, d) => checked(a * d));
            var data = new byte[checked(elements * storage.Size)];
            var index = new long[shape.Length];
            for (long i = 0; i < elements; i++)
            {
                var source = offset;
                for (var d = 0; d < shape.Length; d++) source += index[d] * strides[d];
                if (source < 0 || (source + 1) * storage.Size > storage.Data.LongLength)
                    throw new WeightsFormatException($"A tensor of shape {StateTensor.Describe(shape)} reads past the end of storage '{storage.Key}'.");
                Buffer.BlockCopy(storage.Data, (int)(source * storage.Size), data, (int)(i * storage.Size), storage.Size);
                for (var d = shape.Length - 1; d >= 0 && ++index[d] == shape[d]; d--) index[d] = 0;
            }
            return new StateTensor("", storage.Type, shape, data);
        }
    }
}
