using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace KafkaMl.Core.Training;

/// <summary>
/// The safetensors element types this project reads and writes, by their header names.
/// </summary>
internal static class SafeTensorsDtypes
{
    /// <summary>In the order safetensors ranks alignment (the serializer writes larger alignments first).</summary>
    private static readonly (string Name, ScalarType Type, int Size)[] Table =
    [
        ("BOOL", ScalarType.Bool, 1),
        ("U8", ScalarType.Byte, 1),
        ("I8", ScalarType.Int8, 1),
        ("I16", ScalarType.Int16, 2),
        ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2),
        ("I32", ScalarType.Int32, 4),
        ("F32", ScalarType.Float32, 4),
        ("F64", ScalarType.Float64, 8),
        ("I64", ScalarType.Int64, 8),
    ];

    public static (string Name, int Size, int Rank) Of(ScalarType type)
    {
        for (var i = 0; i < Table.Length; i++)
            if (Table[i].Type == type) return (Table[i].Name, Table[i].Size, i);
        throw new NotSupportedException($"safetensors export does not support tensors of type {type}.");
    }

    public static (ScalarType Type, int Size) Parse(string name)
    {
        foreach (var entry in Table)
            if (entry.Name == name) return (entry.Type, entry.Size);
        throw new InvalidDataException($"The safetensors file holds an unsupported dtype '{name}'.");
    }
}

/// <summary>
/// Writes tensors in the safetensors format, which PyTorch reads without TorchSharp
/// (<c>safetensors.torch.load_file</c>): 8 bytes little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...}</c>
/// padded with spaces to a multiple of 8, then the raw little-endian, C-order data of every tensor back
/// to back (offsets relative to the end of the header).
/// </summary>
/// <remarks>
/// Tensors are laid out as the reference serializer lays them out — larger element sizes first, then
/// by name (ordinal) — so every tensor's data is aligned for its type; with at most one metadata entry
/// a file of this writer is byte-identical to the reference serializer's for the same tensors.
/// </remarks>
public static class SafeTensorsWriter
{
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>Writes <paramref name="tensors"/> (name → tensor) and optional string <paramref name="metadata"/> to a stream.</summary>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors export needs a little-endian machine.");

        var entries = tensors
            .Select(pair =>
            {
                if (string.IsNullOrEmpty(pair.Key)) throw new ArgumentException("A tensor name cannot be empty.", nameof(tensors));
                if (pair.Key == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor.", nameof(tensors));
                var (name, size, rank) = SafeTensorsDtypes.Of(pair.Value.dtype);
                return (Name: pair.Key, Tensor: pair.Value, Dtype: name, Bytes: checked(pair.Value.numel() * size), Rank: rank);
            })
            .OrderByDescending(e => e.Rank)
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        var duplicate = entries.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"The tensor name '{duplicate.Key}' appears twice.", nameof(tensors));

        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header, JsonOptions))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.Dtype);
                json.WriteStartArray("shape");
                foreach (var dimension in entry.Tensor.shape) json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + entry.Bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.Bytes;
            }
            json.WriteEndObject();
        }
        while (header.Length % 8 != 0) header.WriteByte((byte)' ');

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var entry in entries)
        {
            using var scope = NewDisposeScope();
            var data = entry.Tensor.detach().cpu().contiguous();
            if (entry.Bytes > 0) stream.Write(data.bytes);
        }
        stream.Flush();
    }

    /// <summary>Writes <paramref name="tensors"/> to a file (replaced when it exists).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(file, tensors, metadata);
    }
}

/// <summary>The tensors of a safetensors file, in file order; disposing this disposes them.</summary>
public sealed class SafeTensorsFile : IDisposable
{
    internal SafeTensorsFile(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        Metadata = metadata;
        Tensors = tensors;
        ByName = tensors.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
    }

    /// <summary>The file's <c>__metadata__</c> (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in the order of their data in the file.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Tensors { get; }

    public IReadOnlyDictionary<string, Tensor> ByName { get; }

    public Tensor this[string name] => ByName[name];

    public void Dispose()
    {
        foreach (var (_, tensor) in Tensors) tensor.Dispose();
    }
}

/// <summary>Reads safetensors files (see <see cref="SafeTensorsWriter"/> for the layout), checking them as the reference reader does.</summary>
public static class SafeTensorsReader
{
    /// <summary>The largest header the reference implementation accepts.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>Reads every tensor of a safetensors file into CPU tensors (detached from any dispose scope; dispose the result).</summary>
    public static SafeTensorsFile Read(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file);
    }

    /// <summary>Reads every tensor of a safetensors stream.</summary>
    /// <exception cref="InvalidDataException">The stream is not a valid safetensors file.</exception>
    public static SafeTensorsFile Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes) throw new InvalidDataException($"The safetensors header claims {headerLength} bytes, more than the {MaxHeaderBytes} allowed.");
        var header = new byte[headerLength];
        stream.ReadExactly(header);

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var infos = new List<(string Name, ScalarType Type, int Size, long[] Shape, long Begin, long End)>();
        try
        {
            using var document = JsonDocument.Parse(Encoding.UTF8.GetString(header).TrimEnd(' '));
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException("The safetensors header is not a JSON object.");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var entry in property.Value.EnumerateObject())
                        metadata[entry.Name] = entry.Value.GetString() ?? "";
                    continue;
                }
                var info = property.Value;
                var (type, size) = SafeTensorsDtypes.Parse(info.GetProperty("dtype").GetString() ?? "");
                var shape = info.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var offsets = info.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                if (offsets.Length != 2) throw new InvalidDataException($"The data_offsets of '{property.Name}' are not [begin, end].");
                infos.Add((property.Name, type, size, shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or DecoderFallbackException)
        {
            throw new InvalidDataException($"The safetensors header is not valid: {e.Message}", e);
        }

        infos.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var info in infos)
        {
            if (info.Begin != expected || info.End < info.Begin)
                throw new InvalidDataException($"The data of '{info.Name}' does not follow the previous tensor's (offsets [{info.Begin}, {info.End}]).");
            var elements = info.Shape.Aggregate(1L, (a, d) => d < 0 ? throw new InvalidDataException($"'{info.Name}' has a negative dimension.") : checked(a * d));
            if (checked(elements * info.Size) != info.End - info.Begin)
                throw new InvalidDataException($"'{info.Name}' of shape {SampleSet.Describe(info.Shape)} does not fill its {info.End - info.Begin} bytes.");
            expected = info.End;
        }

        var tensors = new List<KeyValuePair<string, Tensor>>(infos.Count);
        try
        {
            foreach (var info in infos)
            {
                var bytes = new byte[info.End - info.Begin];
                stream.ReadExactly(bytes);
                var tensor = empty(info.Shape, info.Type).DetachFromDisposeScope();
                tensors.Add(new(info.Name, tensor));
                if (bytes.Length > 0) tensor.bytes = bytes;
            }
            if (stream.CanSeek && stream.Position != stream.Length)
                throw new InvalidDataException($"The safetensors data ends at byte {stream.Position} but the file holds {stream.Length}.");
        }
        catch (EndOfStreamException e)
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
            throw new InvalidDataException("The safetensors file is shorter than its header says.", e);
        }
        catch
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
            throw;
        }
        return new SafeTensorsFile(metadata, tensors);
    }
}
