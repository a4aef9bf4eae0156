using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KafkaMl.Core.Formats;

/// <summary>
/// Little-endian n-d array bytes ⇄ floats, per element type: the hot path of the RAW format. On
/// little-endian machines the bytes are reinterpreted in place (<see cref="MemoryMarshal.Cast{TFrom,TTo}(ReadOnlySpan{TFrom})"/>);
/// elsewhere each element is read with <see cref="BinaryPrimitives"/>. No allocation.
/// </summary>
internal static class RawCodec
{
    /// <summary>Widens <paramref name="source"/> (a whole number of elements) into <paramref name="destination"/>.</summary>
    public static void Decode(RawDataType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (!BitConverter.IsLittleEndian)
        {
            DecodePortable(type, source, destination);
            return;
        }
        switch (type)
        {
            case RawDataType.Float32:
                MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                break;
            case RawDataType.Float64:
                Widen(MemoryMarshal.Cast<byte, double>(source), destination);
                break;
            case RawDataType.Float16:
                Widen(MemoryMarshal.Cast<byte, Half>(source), destination);
                break;
            case RawDataType.Int8:
                Widen(MemoryMarshal.Cast<byte, sbyte>(source), destination);
                break;
            case RawDataType.UInt8:
                Widen(source, destination);
                break;
            case RawDataType.Int16:
                Widen(MemoryMarshal.Cast<byte, short>(source), destination);
                break;
            case RawDataType.UInt16:
                Widen(MemoryMarshal.Cast<byte, ushort>(source), destination);
                break;
            case RawDataType.Int32:
                Widen(MemoryMarshal.Cast<byte, int>(source), destination);
                break;
            case RawDataType.Int64:
                Widen(MemoryMarshal.Cast<byte, long>(source), destination);
                break;
            case RawDataType.Bool:
                for (var i = 0; i < source.Length; i++) destination[i] = source[i] != 0 ? 1f : 0f;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    /// <summary>
    /// Narrows <paramref name="source"/> into <paramref name="destination"/> (exactly
    /// <c>source.Length * size</c> bytes). A value the type cannot hold (a fraction or an out-of-range
    /// number for an integer type, anything but 0/1 for bool, a finite value beyond float16's range)
    /// throws <see cref="DataFormatException"/> naming <paramref name="part"/> and the element index.
    /// </summary>
    public static void Encode(RawDataType type, ReadOnlySpan<float> source, Span<byte> destination, string part)
    {
        switch (type)
        {
            case RawDataType.Float32 when BitConverter.IsLittleEndian:
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case RawDataType.Float32:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], source[i]);
                break;
            case RawDataType.Float64:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(destination[(i * 8)..], source[i]);
                break;
            case RawDataType.Float16:
                for (var i = 0; i < source.Length; i++)
                {
                    var h = (Half)source[i];
                    if (Half.IsInfinity(h) && float.IsFinite(source[i])) throw Unrepresentable(type, part, i, source[i], "float16 holds at most ±65504");
                    BinaryPrimitives.WriteHalfLittleEndian(destination[(i * 2)..], h);
                }
                break;
            case RawDataType.Int8:
                for (var i = 0; i < source.Length; i++) destination[i] = (byte)(sbyte)Whole(type, source, i, sbyte.MinValue, sbyte.MaxValue, part);
                break;
            case RawDataType.UInt8:
                for (var i = 0; i < source.Length; i++) destination[i] = (byte)Whole(type, source, i, byte.MinValue, byte.MaxValue, part);
                break;
            case RawDataType.Int16:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(destination[(i * 2)..], (short)Whole(type, source, i, short.MinValue, short.MaxValue, part));
                break;
            case RawDataType.UInt16:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], (ushort)Whole(type, source, i, ushort.MinValue, ushort.MaxValue, part));
                break;
            case RawDataType.Int32:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(destination[(i * 4)..], (int)Whole(type, source, i, int.MinValue, int.MaxValue, part));
                break;
            case RawDataType.Int64:
                for (var i = 0; i < source.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(destination[(i * 8)..], Whole(type, source, i, long.MinValue, long.MaxValue, part));
                break;
            case RawDataType.Bool:
                for (var i = 0; i < source.Length; i++)
                {
                    destination[i] = source[i] switch
                    {
                        0f => 0,
                        1f => 1,
                        _ => throw Unrepresentable(type, part, i, source[i], "bool holds only 0 or 1"),
                    };
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, null);
        }
    }

    private static long Whole(RawDataType type, ReadOnlySpan<float> source, int index, double min, double max, string part)
    {
        var value = source[index];
        // float can represent 2^63 exactly but long cannot: compare against max as an exclusive bound
        // when it is not itself representable.
        if (value != MathF.Truncate(value) || value < min || value > max || (max >= 9.2e18 && value >= 9.223372036854775807e18))
            throw Unrepresentable(type, part, index, value, $"{type.Name()} holds whole numbers from {min:0} to {max:0}");
        return (long)value;
    }

    private static DataFormatException Unrepresentable(RawDataType type, string part, int index, float value, string rule) =>
        new($"RAW {part} element {index} is {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}, which {type.Name()} cannot hold ({rule}).");

    private static void Widen<T>(ReadOnlySpan<T> source, Span<float> destination) where T : unmanaged, System.Numerics.INumberBase<T>
    {
        destination = destination[..source.Length];
        for (var i = 0; i < source.Length; i++) destination[i] = float.CreateTruncating(source[i]);
    }

    private static void DecodePortable(RawDataType type, ReadOnlySpan<byte> s, Span<float> d)
    {
        var size = type.Size();
        for (var i = 0; i < d.Length && (i + 1) * size <= s.Length; i++)
        {
            var e = s.Slice(i * size, size);
            d[i] = type switch
            {
                RawDataType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(e),
                RawDataType.Float64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(e),
                RawDataType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(e),
                RawDataType.Int8 => (sbyte)e[0],
                RawDataType.UInt8 => e[0],
                RawDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                RawDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                RawDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                RawDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                RawDataType.Bool => e[0] != 0 ? 1f : 0f,
                _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
            };
        }
    }
}
