using System.Text;

namespace KafkaMl.Core.PyTorch;

/// <summary>
/// Writes TorchSharp's own weights file (what <c>Module.save</c> writes and <c>Module.load</c> reads, the
/// <c>model.dat</c> inference replicas load) from <see cref="StateTensor"/>s: a LEB128 entry count, then per entry
/// its name (a length-prefixed UTF-8 string) and the tensor — LEB128 element type, rank and dimensions, then the raw
/// little-endian values. The cutting side of the same format is <see cref="Chains.ChainStageWeights.TorchSharp"/>.
/// </summary>
public static class TorchSharpWeightsBytes
{
    public static byte[] Write(IReadOnlyCollection<StateTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var output = new MemoryStream();
        using (var writer = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true))
        {
            Leb128(writer, tensors.Count);
            foreach (var tensor in tensors)
            {
                writer.Write(tensor.Name);
                Leb128(writer, (long)tensor.Type);
                Leb128(writer, tensor.Shape.Length);
                foreach (var dimension in tensor.Shape) Leb128(writer, dimension);
                writer.Write(tensor.Data);
            }
        }
        return output.ToArray();
    }

    private static void Leb128(BinaryWriter writer, long value)
    {
        do
        {
            var b = (byte)(value & 0x7f);
            value >>= 7;
            writer.Write(value != 0 ? (byte)(b | 0x80) : b);
        }
        while (value != 0);
    }
}
