using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace KafkaMl.Core.Control;

/// <summary>
/// The deployment id carried in a control message's key. Producers encode it three ways, and all
/// three are read:
/// <list type="bullet">
/// <item><b>one raw byte</b> — Kafka-ML's Python sink sends <c>bytes([deployment_id])</c> (ids 0–255);</item>
/// <item><b>a UTF-8 decimal string</b> (<c>"42"</c>) — what KafkaMl's own sinks send;</item>
/// <item><b>a big-endian integer</b> of 2 to 8 bytes — 8 bytes as a <c>long</c>, or the 4 bytes of
/// later Kafka-ML clients (Kafka-ML's consumers read any width with <c>int.from_bytes(key, 'big')</c>).</item>
/// </list>
/// Ambiguity is resolved by length first, then content: a 1-byte key is always the raw byte (so
/// <c>"7"</c> would read as 55 — KafkaMl therefore writes at least two digits, <c>"07"</c>); a key of
/// 2–19 bytes that are all ASCII digits is decimal; any other key of 2–8 bytes is big-endian. A
/// big-endian id is misread only if every one of its bytes is 0x30–0x39 (ids ≥ 12,336 for 2 bytes,
/// ≥ 808,464,432 for 4), which no deployment reaches in practice.
/// </summary>
public static class DeploymentKey
{
    /// <summary>The key KafkaMl sends: the id as decimal digits, at least two (<c>7</c> → <c>"07"</c>).</summary>
    public static byte[] Encode(long deploymentId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deploymentId);
        return Encoding.ASCII.GetBytes(deploymentId.ToString("00", CultureInfo.InvariantCulture));
    }

    /// <summary>The key Kafka-ML's Python sink sends: one raw byte (ids 0–255).</summary>
    public static byte[] EncodeOneByte(int deploymentId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deploymentId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(deploymentId, byte.MaxValue);
        return [(byte)deploymentId];
    }

    /// <summary>The id as an 8-byte big-endian integer.</summary>
    public static byte[] EncodeBigEndian(long deploymentId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deploymentId);
        var key = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(key, deploymentId);
        return key;
    }

    /// <summary>Reads the id; throws <see cref="ControlMessageException"/> with the reason.</summary>
    public static long Decode(ReadOnlySpan<byte> key) =>
        TryDecode(key, out var id, out var problem) ? id : throw new ControlMessageException(problem!);

    public static bool TryDecode(ReadOnlySpan<byte> key, out long deploymentId, out string? problem)
    {
        deploymentId = 0;
        problem = null;
        if (key.IsEmpty)
        {
            problem = "The control message has no key; the key must carry the deployment id.";
            return false;
        }
        if (key.Length == 1)
        {
            deploymentId = key[0];
            return true;
        }
        if (key.Length <= 19 && IsAllDigits(key))
        {
            // 19 digits can exceed long.MaxValue; the parse says so.
            if (long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out deploymentId)) return true;
            problem = $"The control message key '{Encoding.ASCII.GetString(key)}' is a number too large for a deployment id.";
            return false;
        }
        if (key.Length <= 8)
        {
            Span<byte> wide = stackalloc byte[8];
            wide.Clear();
            key.CopyTo(wide[(8 - key.Length)..]);
            deploymentId = BinaryPrimitives.ReadInt64BigEndian(wide);
            if (deploymentId >= 0) return true;
            problem = $"The control message key {Convert.ToHexString(key)} is a negative big-endian integer; deployment ids are not negative.";
            deploymentId = 0;
            return false;
        }
        problem = $"The control message key has {key.Length} bytes and is not a deployment id: expected one raw byte, a decimal string, or a big-endian integer of up to 8 bytes.";
        return false;
    }

    private static bool IsAllDigits(ReadOnlySpan<byte> key)
    {
        foreach (var b in key)
            if (b is < (byte)'0' or > (byte)'9') return false;
        return true;
    }
}
