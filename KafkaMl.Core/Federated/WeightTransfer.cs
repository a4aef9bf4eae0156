using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Federated;

/// <summary>One Kafka message of a transfer: key = the transfer id, header <see cref="WeightTransfer.PartHeader"/>.</summary>
public sealed record TransferMessage(string Transfer, string Part, int Index, byte[] Value)
{
    public Message<byte[], byte[]> ToKafka() => new()
    {
        Key = Encoding.UTF8.GetBytes(Transfer),
        Value = Value,
        Headers = new Headers
        {
            { WeightTransfer.PartHeader, Encoding.UTF8.GetBytes(Part) },
            { WeightTransfer.IndexHeader, Encoding.UTF8.GetBytes(Index.ToString(System.Globalization.CultureInfo.InvariantCulture)) },
        },
    };

    /// <summary>Reads a round-topic message; null when it is not part of a transfer.</summary>
    public static TransferMessage? FromKafka(Message<byte[], byte[]> message)
    {
        if (message.Key is not { Length: > 0 } key || message.Headers is null) return null;
        if (!message.Headers.TryGetLastBytes(WeightTransfer.PartHeader, out var part)) return null;
        var index = message.Headers.TryGetLastBytes(WeightTransfer.IndexHeader, out var text)
            && int.TryParse(Encoding.UTF8.GetString(text), System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : -1;
        return new TransferMessage(Encoding.UTF8.GetString(key), Encoding.UTF8.GetString(part), index, message.Value ?? []);
    }
}

/// <summary>
/// Weights as they travel on a round topic: the safetensors bytes of a <see cref="WeightSet"/> cut into chunk messages
/// below the broker's message size limit, followed by the <see cref="TransferManifest"/> that lets the receiver put them
/// back together and check them. No pickled objects: safetensors is a header of JSON and raw little-endian arrays.
/// </summary>
public static class WeightTransfer
{
    public const string PartHeader = "kafkaml-fl-part";
    public const string IndexHeader = "kafkaml-fl-index";
    public const string ChunkPart = "chunk";
    public const string ManifestPart = "manifest";

    /// <summary>Chunk size by default: well below Kafka's default 1 MB message limit, leaving room for the key and headers.</summary>
    public const int DefaultChunkBytes = 512 * 1024;

    /// <summary>
    /// The messages of one transfer: the chunks of <paramref name="weights"/>' safetensors bytes, then the manifest
    /// (<paramref name="manifest"/> completed with the tensors, chunks, size and checksum).
    /// </summary>
    public static IReadOnlyList<TransferMessage> Split(TransferManifest manifest, WeightSet? weights, int chunkBytes = DefaultChunkBytes)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkBytes);
        var bytes = weights?.ToSafeTensors() ?? [];
        var messages = new List<TransferMessage>();
        var chunks = new List<ManifestChunk>();
        for (long begin = 0, index = 0; begin < bytes.Length; begin += chunkBytes, index++)
        {
            var end = Math.Min(bytes.Length, begin + chunkBytes);
            chunks.Add(new ManifestChunk((int)index, begin, end));
            messages.Add(new TransferMessage(manifest.Transfer, ChunkPart, (int)index, bytes[(int)begin..(int)end]));
        }
        var complete = manifest with
        {
            Tensors = weights is null ? [] : TensorRanges(bytes),
            Chunks = chunks,
            TotalBytes = bytes.Length,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
        };
        messages.Add(new TransferMessage(manifest.Transfer, ManifestPart, chunks.Count, complete.ToUtf8Json()));
        return messages;
    }

    /// <summary>
    /// Puts a transfer's bytes back together and checks them against its manifest: every chunk present with its
    /// declared size, the SHA-256, the tensors the manifest lists being the file's. Null bytes for a transfer without weights.
    /// </summary>
    /// <exception cref="TransferRejectedException">Something does not match (the reason says what).</exception>
    public static WeightSet? Assemble(TransferManifest manifest, IReadOnlyDictionary<int, byte[]> chunks)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var bytes = new byte[manifest.TotalBytes];
        foreach (var chunk in manifest.Chunks)
        {
            if (!chunks.TryGetValue(chunk.Index, out var data))
                throw new TransferRejectedException(RejectionReason.Incomplete, $"chunk {chunk.Index} of transfer {manifest.Transfer} is missing.");
            if (chunk.Begin < 0 || chunk.End > bytes.Length || data.Length != chunk.End - chunk.Begin)
                throw new TransferRejectedException(RejectionReason.Incomplete, $"chunk {chunk.Index} holds {data.Length} bytes, its range [{chunk.Begin}, {chunk.End}) does not.");
            data.CopyTo(bytes, chunk.Begin);
        }
        var checksum = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(checksum, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new TransferRejectedException(RejectionReason.Checksum, $"the SHA-256 of the {bytes.Length} bytes is {checksum}, the manifest says {manifest.Sha256}.");
        if (bytes.Length == 0) return null;
        WeightSet weights;
        try
        {
            weights = WeightSet.FromSafeTensors(bytes);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException)
        {
            throw new TransferRejectedException(RejectionReason.Tensors, $"the bytes are not a safetensors file: {e.Message}");
        }
        var listed = manifest.Tensors.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        if (listed.Count != weights.Tensors.Count || weights.Tensors.Any(t => !listed.TryGetValue(t.Name, out var shape) || !shape.SequenceEqual(t.Shape)))
            throw new TransferRejectedException(RejectionReason.Tensors, "the manifest's tensors are not the file's.");
        return weights;
    }

    /// <summary>The tensors of a safetensors file with their byte ranges in it (file offsets, header included).</summary>
    private static List<ManifestTensor> TensorRanges(byte[] bytes)
    {
        var dataStart = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var file = SafeTensorsReader.Read(new MemoryStream(bytes, writable: false));
        var ranges = new List<ManifestTensor>(file.Tensors.Count);
        var offset = dataStart;
        foreach (var (name, tensor) in file.Tensors)
        {
            var length = tensor.NumberOfElements * tensor.ElementSize;
            ranges.Add(new ManifestTensor(name, SafeTensorsDtypes.Of(tensor.dtype).Name, tensor.shape, offset, offset + length));
            offset += length;
        }
        return ranges;
    }
}

/// <summary>Why a transfer was not taken: each reason is counted per round.</summary>
public enum RejectionReason
{
    /// <summary>A chunk is missing or has the wrong size.</summary>
    Incomplete,

    /// <summary>The bytes' SHA-256 is not the manifest's.</summary>
    Checksum,

    /// <summary>The tensors' names, shapes or types are not the model's (or not the manifest's).</summary>
    Tensors,

    /// <summary>The update is for a round that already closed (or is not open yet).</summary>
    Stale,

    /// <summary>The manifest itself is unusable (no samples, unknown kind, no weights).</summary>
    Invalid,
}

/// <summary>A transfer that must not be aggregated, and why.</summary>
public sealed class TransferRejectedException(RejectionReason reason, string message) : Exception(message)
{
    public RejectionReason Reason { get; } = reason;
}
