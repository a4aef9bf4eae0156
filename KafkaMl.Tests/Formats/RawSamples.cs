using System.Buffers.Binary;

namespace KafkaMl.Tests.Formats;

/// <summary>Test data for the RAW format: values each type holds exactly, and bytes laid out as numpy's <c>tobytes()</c> writes them.</summary>
internal static class RawSamples
{
    /// <summary><paramref name="count"/> values that <paramref name="type"/> and float32 both hold exactly, varied and signed where the type is.</summary>
    public static float[] ValuesFor(RawDataType type, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = type switch
            {
                RawDataType.Bool => i % 2,
                RawDataType.UInt8 => (i * 37) % 256,
                RawDataType.UInt16 => (i * 4099) % 65536,
                RawDataType.Int8 => (i * 37) % 256 - 128,
                RawDataType.Int16 => (i * 4099) % 65536 - 32768,
                RawDataType.Int32 => (i * 100_003) - 1_000_000,
                RawDataType.Int64 => (i * 1_000_003L) - 5_000_000,
                RawDataType.Float16 => (i - count / 2) * 0.25f,
                _ => (i - count / 2) * 0.1f + 1e-3f * i,
            };
        }
        return values;
    }

    /// <summary>The little-endian bytes of <paramref name="values"/> as <paramref name="type"/>, written independently of the encoder under test.</summary>
    public static byte[] LittleEndianBytes(RawDataType type, float[] values)
    {
        var size = type.Size();
        var bytes = new byte[values.Length * size];
        for (var i = 0; i < values.Length; i++)
        {
            var slot = bytes.AsSpan(i * size, size);
            var v = values[i];
            switch (type)
            {
                case RawDataType.Float16: BinaryPrimitives.WriteHalfLittleEndian(slot, (Half)v); break;
                case RawDataType.Float32: BinaryPrimitives.WriteSingleLittleEndian(slot, v); break;
                case RawDataType.Float64: BinaryPrimitives.WriteDoubleLittleEndian(slot, v); break;
                case RawDataType.Int8: slot[0] = (byte)(sbyte)v; break;
                case RawDataType.UInt8: slot[0] = (byte)v; break;
                case RawDataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(slot, (short)v); break;
                case RawDataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(slot, (ushort)v); break;
                case RawDataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(slot, (int)v); break;
                case RawDataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(slot, (long)v); break;
                case RawDataType.Bool: slot[0] = v != 0 ? (byte)1 : (byte)0; break;
            }
        }
        return bytes;
    }

    public static IDataDecoder Decoder(string dataType, string labelType, string dataReshape = "", string labelReshape = "") =>
        DataFormats.CreateDecoder("RAW", Config(dataType, labelType, dataReshape, labelReshape));

    public static string Config(string dataType, string labelType, string dataReshape = "", string labelReshape = "") =>
        $$"""{"data_type": "{{dataType}}", "label_type": "{{labelType}}", "data_reshape": "{{dataReshape}}", "label_reshape": "{{labelReshape}}"}""";

    public static TheoryData<string> EveryTypeName() =>
        ["half", "float16", "float", "float32", "double", "float64", "int8", "uint8", "int16", "uint16", "int32", "int64", "bool"];
}
