using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.PyTorch;

/// <summary>
/// The safetensors format (<see cref="SafeTensorsWriter"/> describes the layout) read and written as
/// <see cref="StateTensor"/>s, byte by byte: what the portal needs to import and re-export weights without libtorch.
/// </summary>
public static class SafeTensorsBytes
{
    /// <summary>The tensors of a safetensors file, in the order of their data.</summary>
    /// <exception cref="WeightsFormatException">Not a safetensors file, or its header and data disagree.</exception>
    public static IReadOnlyList<StateTensor> Read(byte[] file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Length < 8) throw new WeightsFormatException("Not a safetensors file: shorter than its 8-byte header length.");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)Math.Min(file.Length - 8, SafeTensorsReader.MaxHeaderBytes))
            throw new WeightsFormatException("Not a safetensors file: its header length runs past the end of the file.");
        var dataStart = 8 + (int)headerLength;
        var tensors = new List<(long Begin, StateTensor Tensor)>();
        try
        {
            using var header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
            if (header.RootElement.ValueKind != JsonValueKind.Object) throw new WeightsFormatException("Not a safetensors file: its header is not a JSON object.");
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__") continue;
                if (tensors.Any(t => t.Tensor.Name == entry.Name)) throw new WeightsFormatException($"Tensor '{entry.Name}' appears twice in the header.");
                var dtype = entry.Value.GetProperty("dtype").GetString() ?? "";
                var (type, size) = SafeTensorsDtypes.Parse(dtype);
                var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (shape.Any(d => d < 0) || offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || dataStart + offsets[1] > file.Length)
                    throw new WeightsFormatException($"Tensor '{entry.Name}' has a bad shape or lies outside the file.");
                var bytes = checked(shape.Aggregate(1L, (a, d) => a * d) * size);
                if (bytes != offsets[1] - offsets[0])
                    throw new WeightsFormatException($"Tensor '{entry.Name}' of shape {StateTensor.Describe(shape)} ({dtype}) does not fill its {offsets[1] - offsets[0]} bytes.");
                tensors.Add((offsets[0], new StateTensor(entry.Name, type, shape, file.AsSpan(dataStart + (int)offsets[0], (int)bytes).ToArray())));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or InvalidDataException or OverflowException)
        {
            throw new WeightsFormatException($"Not a valid safetensors file: {e.Message}", e);
        }
        return [.. tensors.OrderBy(t => t.Begin).Select(t => t.Tensor)];
    }

    /// <summary>Writes <paramref name="tensors"/> laid out as <see cref="SafeTensorsWriter"/> lays them out (larger elements first, then by name).</summary>
    public static byte[] Write(IEnumerable<StateTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var ordered = tensors
            .Select(t => (Tensor: t, Info: SafeTensorsDtypes.Of(t.Type)))
            .OrderByDescending(t => t.Info.Rank)
            .ThenBy(t => t.Tensor.Name, StringComparer.Ordinal)
            .ToList();
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is not null)
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var (tensor, info) in ordered)
            {
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", info.Name);
                writer.WriteStartArray("shape");
                foreach (var dimension in tensor.Shape) writer.WriteNumberValue(dimension);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + tensor.Data.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += tensor.Data.Length;
            }
            writer.WriteEndObject();
        }
        var header = json.ToArray();
        var padded = (header.Length + 7) / 8 * 8; // the format pads the header with spaces to 8 bytes
        using var file = new MemoryStream();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        file.Write(length);
        file.Write(header);
        for (var i = header.Length; i < padded; i++) file.WriteByte((byte)' ');
        foreach (var (tensor, _) in ordered) file.Write(tensor.Data);
        return file.ToArray();
    }

    /// <summary>The <c>__metadata__</c> of a safetensors file (empty when it has none or the file is not one).</summary>
    public static IReadOnlyDictionary<string, string> Metadata(byte[] file)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
            using var header = JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, headerLength));
            if (header.RootElement.TryGetProperty("__metadata__", out var entries))
                foreach (var entry in entries.EnumerateObject()) metadata[entry.Name] = entry.Value.GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // No readable metadata: none.
        }
        return metadata;
    }
}
