using System.Buffers.Binary;
using System.Globalization;

namespace KafkaMl.Core.Formats;

// Avro's binary primitives on spans: zig-zag varints and little-endian IEEE floats.
internal sealed partial class AvroLayout
{
    private ref struct Reader(ReadOnlySpan<byte> data, string part, string where, string key)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly int Remaining => _data.Length - _position;

        public long ReadLong(string field)
        {
            ulong raw = 0;
            for (var shift = 0; ; shift += 7)
            {
                if (_position >= _data.Length) throw Truncated(field);
                if (shift > 63) throw Malformed(field, "a variable-length integer runs past 10 bytes");
                var b = _data[_position++];
                raw |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) break;
            }
            return (long)(raw >> 1) ^ -(long)(raw & 1);
        }

        public int ReadInt(string field)
        {
            var value = ReadLong(field);
            return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw Malformed(field, $"{value} does not fit an Avro int");
        }

        public float ReadFloat(string field)
        {
            if (Remaining < 4) throw Truncated(field);
            var value = BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_position, 4));
            _position += 4;
            return value;
        }

        public double ReadDouble(string field)
        {
            if (Remaining < 8) throw Truncated(field);
            var value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
            _position += 8;
            return value;
        }

        public bool ReadBoolean(string field)
        {
            if (Remaining < 1) throw Truncated(field);
            return _data[_position++] switch
            {
                0 => false,
                1 => true,
                var other => throw Malformed(field, $"a boolean byte is 0 or 1, not {other}"),
            };
        }

        public readonly void EnsureEnd()
        {
            if (_position != _data.Length)
                throw new DataFormatException(
                    $"AVRO {part}: {Remaining} bytes are left over after reading the record of {key} from the message {where} ({_data.Length} bytes); the payload was not written with that schema.");
        }

        public readonly DataFormatException Truncated(string field) =>
            new($"AVRO {part}: the message {where} ({_data.Length} bytes) ends in the middle of field '{field}' of {key}; the payload is truncated or was not written with that schema.");

        public readonly DataFormatException Malformed(string field, string problem) =>
            new($"AVRO {part}: field '{field}' of {key} cannot be read from the message {where}: {problem}; the payload is malformed or was not written with that schema.");
    }

    private ref struct Writer(Span<byte> buffer, string part, string key)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void WriteByte(byte value) => _buffer[Position++] = value;

        public void WriteLong(long value)
        {
            var raw = (ulong)((value << 1) ^ (value >> 63));
            while (raw >= 0x80)
            {
                _buffer[Position++] = (byte)(raw | 0x80);
                raw >>= 7;
            }
            _buffer[Position++] = (byte)raw;
        }

        public void WriteFloat(float value)
        {
            BinaryPrimitives.WriteSingleLittleEndian(_buffer[Position..], value);
            Position += 4;
        }

        public void WriteDouble(double value)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(_buffer[Position..], value);
            Position += 8;
        }

        public readonly long Whole(float value, double min, double max, string field) =>
            value == MathF.Truncate(value) && value >= min && value <= max && !(max >= 9.2e18 && value >= 9.223372036854775807e18)
                ? (long)value
                : throw Unrepresentable(field, value, $"it holds whole numbers from {min.ToString("0", CultureInfo.InvariantCulture)} to {max.ToString("0", CultureInfo.InvariantCulture)}");

        public readonly DataFormatException Unrepresentable(string field, float value, string rule) =>
            new($"AVRO {part}: field '{field}' of {key} cannot hold {value.ToString(CultureInfo.InvariantCulture)} ({rule}).");
    }
}
