using System.Globalization;
using static TorchSharp.torch;

namespace KafkaMl.Core.PyTorch;

/// <summary>
/// One entry of a state dict as raw bytes: its name, element type, shape and little-endian, C-order data. The importer
/// reads, checks and rewrites weights in this form byte by byte, so the portal never builds a model nor loads libtorch.
/// </summary>
/// <param name="Type">TorchSharp's element type (only the enum: its value is what TorchSharp's weights file records).</param>
public sealed record StateTensor(string Name, ScalarType Type, long[] Shape, byte[] Data)
{
    /// <summary>How many elements the shape holds.</summary>
    public long Elements => Shape.Aggregate(1L, (a, d) => checked(a * d));

    /// <summary><c>[8, 6]</c>, as the messages write shapes.</summary>
    public static string Describe(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}

/// <summary>A weights file that cannot be imported (not a state dict of plain tensors, or damaged); the message says why.</summary>
public sealed class WeightsFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The element types a <c>.pt</c> file may hold, by PyTorch storage class (safetensors names: <see cref="Training.SafeTensorsDtypes"/>).</summary>
internal static class StateTensorTypes
{
    private static readonly (string Storage, ScalarType Type, int Size)[] Table =
    [
        ("FloatStorage", ScalarType.Float32, 4),
        ("DoubleStorage", ScalarType.Float64, 8),
        ("HalfStorage", ScalarType.Float16, 2),
        ("BFloat16Storage", ScalarType.BFloat16, 2),
        ("LongStorage", ScalarType.Int64, 8),
        ("IntStorage", ScalarType.Int32, 4),
        ("ShortStorage", ScalarType.Int16, 2),
        ("CharStorage", ScalarType.Int8, 1),
        ("ByteStorage", ScalarType.Byte, 1),
        ("BoolStorage", ScalarType.Bool, 1),
    ];

    /// <summary>The storage classes a <c>.pt</c> file may name (<c>torch.FloatStorage</c>, ...).</summary>
    public static IEnumerable<string> StorageNames => Table.Select(t => t.Storage);

    public static (ScalarType Type, int Size)? OfStorage(string storage) =>
        Table.FirstOrDefault(t => t.Storage == storage) is { Storage: not null } row ? (row.Type, row.Size) : null;

    /// <summary>The name PyTorch users know: <c>float32</c>, <c>int64</c>, ...</summary>
    public static string Describe(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => type.ToString(),
    };
}
