using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace KafkaMl.Core.Chains;

/// <summary>
/// One stage's weights cut out of a trained chain's files, byte by byte (no model is built, nothing runs): the entries
/// named <see cref="EarlyExitChain.StatePrefix"/> (<c>stages.{k-1}.</c>, <c>final.</c>) with the prefix taken off, so
/// stage k's file loads into <c>Stage(body, exit)</c> (names <c>body.*</c>, <c>exit.*</c>) and the last one into the final
/// module, on a device that holds only its stage.
/// </summary>
public static class ChainStageWeights
{
    /// <summary>The parameter-name prefix of stage <paramref name="stage"/> of a chain of <paramref name="stages"/> (as <see cref="EarlyExitChain.StatePrefix"/>).</summary>
    public static string Prefix(int stage, int stages) =>
        stage == stages ? "final." : FormattableString.Invariant($"stages.{stage - 1}.");

    /// <summary>The safetensors entries of <paramref name="prefix"/>, renamed without it; the metadata is kept.</summary>
    /// <exception cref="InvalidDataException">The source is not a safetensors file, or holds nothing under the prefix.</exception>
    public static byte[] SafeTensors(byte[] source, string prefix)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length < 8) throw new InvalidDataException("Not a safetensors file: shorter than its header length.");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(source);
        if (headerLength > (ulong)(source.Length - 8)) throw new InvalidDataException("Not a safetensors file: its header is longer than the file.");
        var header = JsonNode.Parse(source.AsSpan(8, (int)headerLength)) as JsonObject ?? throw new InvalidDataException("Not a safetensors file: its header is not a JSON object.");
        var dataStart = 8 + (int)headerLength;
        var selected = new JsonObject();
        using var data = new MemoryStream();
        foreach (var (name, entry) in header)
        {
            if (name == "__metadata__")
            {
                selected[name] = entry?.DeepClone();
                continue;
            }
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || entry is not JsonObject tensor) continue;
            var offsets = tensor["data_offsets"]!.AsArray();
            var (begin, end) = (offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>());
            if (begin < 0 || end < begin || dataStart + end > source.Length) throw new InvalidDataException($"Tensor '{name}' lies outside the file.");
            var start = data.Length;
            data.Write(source, dataStart + (int)begin, (int)(end - begin));
            var copy = (JsonObject)tensor.DeepClone();
            copy["data_offsets"] = new JsonArray(start, data.Length);
            selected[name[prefix.Length..]] = copy;
        }
        if (selected.Count(e => e.Key != "__metadata__") == 0) throw new InvalidDataException($"The weights hold no tensor named '{prefix}*'.");
        var json = Encoding.UTF8.GetBytes(selected.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // the format pads the header with spaces to 8 bytes
        var result = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        json.CopyTo(result, 8);
        result.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        data.ToArray().CopyTo(result, 8 + padded);
        return result;
    }

    /// <summary>
    /// The entries of <paramref name="prefix"/> of a file TorchSharp's <c>Module.save</c> wrote (a LEB128 count, then per
    /// entry its name and the tensor: LEB128 type, rank and dims, then the raw values), renamed without it.
    /// </summary>
    /// <exception cref="InvalidDataException">The source is not such a file, or holds nothing under the prefix.</exception>
    public static byte[] TorchSharp(byte[] source, string prefix)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var reader = new BinaryReader(new MemoryStream(source), Encoding.UTF8);
        using var output = new MemoryStream();
        using var writer = new BinaryWriter(output, Encoding.UTF8);
        var kept = new List<(string Name, long Start, long End)>();
        try
        {
            var count = Leb128(reader);
            for (long i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var start = reader.BaseStream.Position;
                var type = Leb128(reader);
                var rank = Leb128(reader);
                long elements = 1;
                for (long d = 0; d < rank; d++) elements *= Leb128(reader);
                reader.BaseStream.Seek(elements * ElementSize(type, name), SeekOrigin.Current);
                if (reader.BaseStream.Position > source.Length) throw new EndOfStreamException();
                if (name.StartsWith(prefix, StringComparison.Ordinal)) kept.Add((name[prefix.Length..], start, reader.BaseStream.Position));
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("Not a TorchSharp weights file: it ends inside an entry.", e);
        }
        if (kept.Count == 0) throw new InvalidDataException($"The weights hold no tensor named '{prefix}*'.");
        WriteLeb128(writer, kept.Count);
        foreach (var (name, start, end) in kept)
        {
            writer.Write(name);
            writer.Write(source, (int)start, (int)(end - start));
        }
        writer.Flush();
        return output.ToArray();
    }

    private static long ElementSize(long type, string name) => type switch
    {
        0 or 1 or 11 => 1, // uint8, int8, bool
        2 or 5 or 15 => 2, // int16, float16, bfloat16
        3 or 6 => 4, // int32, float32
        4 or 7 or 9 => 8, // int64, float64, complex64
        10 => 16, // complex128
        _ => throw new InvalidDataException($"Tensor '{name}' has an element type ({type}) these weights cannot be cut by."),
    };

    private static long Leb128(BinaryReader reader)
    {
        long value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = reader.ReadByte();
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException("Not a TorchSharp weights file: a number is too long.");
    }

    private static void WriteLeb128(BinaryWriter writer, long value)
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
