using System.Buffers;
using Avro;

namespace KafkaMl.Core.Formats;

/// <summary>
/// An Avro schema compiled into the walk that flattens its values into floats, in schema order:
/// int, long, float, double, boolean (0/1), enum (the symbol's index), nested records, arrays of
/// those (all items, in order), a union of null and one of those (null reads as NaN), and logical
/// types over those (their underlying number). Strings, bytes, fixed and maps have no numeric
/// reading and are rejected when the schema is compiled.
/// </summary>
/// <remarks>
/// Reads and writes Avro's binary encoding directly on spans (zig-zag varints, little-endian IEEE
/// floats, blocked arrays), so a message decodes with no allocation beyond its float array; the
/// result is byte-for-byte what Apache.Avro's <c>GenericDatumWriter</c> writes and reads.
/// </remarks>
internal sealed partial class AvroLayout
{
    private readonly Node _root;

    private AvroLayout(string key, Schema schema, Node root)
    {
        Key = key;
        Schema = schema;
        _root = root;
        FieldNames = [.. Leaves(root)];
    }

    /// <summary>The config key the schema came from (<c>data_scheme</c>), for messages.</summary>
    public string Key { get; }

    public Schema Schema { get; }

    /// <summary>Values per message when the schema has no arrays; null otherwise.</summary>
    public int? FixedCount => _root.FixedCount;

    /// <summary>The numeric leaves in schema order (array items appear once, with <c>[]</c>).</summary>
    public IReadOnlyList<string> FieldNames { get; }

    /// <summary>Parses and compiles a schema; throws <see cref="DataFormatException"/> naming <paramref name="key"/>.</summary>
    public static AvroLayout Parse(string schemaText, string key)
    {
        Schema schema;
        try
        {
            schema = Schema.Parse(schemaText);
        }
        catch (Exception first) when (first is not OutOfMemoryException)
        {
            try
            {
                schema = Schema.Parse(InputConfig.FromPythonRepr(schemaText));
            }
            catch (Exception) when (first is not OutOfMemoryException)
            {
                throw new DataFormatException($"input_config.{key} is not a valid Avro schema: {first.Message}", first);
            }
        }
        if (schema is null) throw new DataFormatException($"input_config.{key} is not a valid Avro schema: '{InputConfig.Abbreviate(schemaText)}'.");
        return new AvroLayout(key, schema, Compile(schema, "", key));
    }

    // ---- decoding ----

    public float[] Decode(ReadOnlySpan<byte> bytes, string part, string where)
    {
        var reader = new Reader(bytes, part, where, Key);
        if (_root.FixedCount is { } fixedCount)
        {
            var output = new FloatBuffer(new float[fixedCount]);
            Read(_root, ref reader, ref output);
            reader.EnsureEnd();
            return output.ToArray();
        }
        var grown = new FloatBuffer(64);
        try
        {
            Read(_root, ref reader, ref grown);
            reader.EnsureEnd();
            return grown.ToArray();
        }
        finally
        {
            grown.Dispose();
        }
    }

    private static void Read(Node node, ref Reader reader, ref FloatBuffer output)
    {
        switch (node.Kind)
        {
            case Kind.Int:
                output.Add(reader.ReadInt(node.Path));
                break;
            case Kind.Long:
                output.Add(reader.ReadLong(node.Path));
                break;
            case Kind.Float:
                output.Add(reader.ReadFloat(node.Path));
                break;
            case Kind.Double:
                output.Add((float)reader.ReadDouble(node.Path));
                break;
            case Kind.Boolean:
                output.Add(reader.ReadBoolean(node.Path) ? 1f : 0f);
                break;
            case Kind.Enum:
            {
                var index = reader.ReadInt(node.Path);
                if ((uint)index >= (uint)node.SymbolCount) throw reader.Malformed(node.Path, $"enum index {index} is outside its {node.SymbolCount} symbols");
                output.Add(index);
                break;
            }
            case Kind.Null:
                break;
            case Kind.Record:
                foreach (var child in node.Children) Read(child, ref reader, ref output);
                break;
            case Kind.Nullable:
            {
                var branch = reader.ReadLong(node.Path);
                if (branch == node.NullBranch)
                {
                    for (var i = 0; i < node.Inner!.FixedCount; i++) output.Add(float.NaN);
                }
                else if (branch == 1 - node.NullBranch)
                {
                    Read(node.Inner!, ref reader, ref output);
                }
                else
                {
                    throw reader.Malformed(node.Path, $"union branch {branch} does not exist (the union has 2)");
                }
                break;
            }
            case Kind.Array:
            {
                for (var count = reader.ReadLong(node.Path); count != 0; count = reader.ReadLong(node.Path))
                {
                    if (count < 0)
                    {
                        count = -count;
                        reader.ReadLong(node.Path); // block size in bytes, not needed
                    }
                    if ((node.Inner!.MinBytes > 0 && count > reader.Remaining / node.Inner.MinBytes) || count > 1 << 24)
                        throw reader.Malformed(node.Path, $"an array block of {count} items cannot fit in the {reader.Remaining} bytes left");
                    for (var i = 0L; i < count; i++) Read(node.Inner!, ref reader, ref output);
                }
                break;
            }
            default:
                throw new InvalidOperationException(node.Kind.ToString());
        }
    }

    // ---- encoding ----

    /// <summary>The Avro binary of <paramref name="values"/> laid out in schema order.</summary>
    public byte[] Encode(ReadOnlySpan<float> values, string part)
    {
        int arrayItems = 0;
        if (_root.FixedCount is { } fixedCount)
        {
            if (values.Length != fixedCount)
                throw new DataFormatException($"AVRO {part}: {Key} has {fixedCount} numeric fields ({string.Join(", ", FieldNames)}) but {values.Length} values were given.");
        }
        else
        {
            // One array of fixed-size items: it takes whatever the other fields leave.
            var (array, others) = SingleArray();
            var left = values.Length - others;
            if (left < 0 || left % array.Inner!.FixedCount!.Value != 0)
                throw new DataFormatException($"AVRO {part}: {Key} has {others} numeric fields besides the array '{array.Path}' of {array.Inner!.FixedCount}-value items; {values.Length} values do not fit.");
            arrayItems = left / array.Inner.FixedCount.Value;
        }
        var bound = values.Length * 11 + 64;
        byte[]? rented = null;
        Span<byte> buffer = bound <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(bound));
        try
        {
            var writer = new Writer(buffer, part, Key);
            var position = 0;
            Write(_root, values, ref position, ref writer, arrayItems);
            return buffer[..writer.Position].ToArray();
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Throws unless the schema can be written from a flat vector (no arrays, or one array of fixed-size items).</summary>
    public void EnsureEncodable()
    {
        if (_root.FixedCount is null) SingleArray();
    }

    /// <summary>Why the schema cannot be written from a flat vector, or null when it can.</summary>
    public string? EncodeProblem()
    {
        try
        {
            EnsureEncodable();
            return null;
        }
        catch (DataFormatException e)
        {
            return e.Message;
        }
    }

    private (Node Array, int Others) SingleArray()
    {
        var arrays = new List<Node>();
        Collect(_root, arrays);
        if (arrays.Count != 1 || arrays[0].Inner!.FixedCount is not > 0)
            throw new DataFormatException($"AVRO: {Key} cannot be written from a flat list of numbers: it needs exactly one array, of fixed-size items (it has {arrays.Count}). Send Avro records instead.");
        return (arrays[0], CountOutside(_root));

        static void Collect(Node node, List<Node> found)
        {
            if (node.Kind == Kind.Array) found.Add(node);
            foreach (var child in node.Children) Collect(child, found);
            if (node.Kind == Kind.Nullable) Collect(node.Inner!, found);
            if (node.Kind == Kind.Array) Collect(node.Inner!, found);
        }

        static int CountOutside(Node node) => node.Kind switch
        {
            Kind.Array => 0,
            Kind.Record => node.Children.Sum(CountOutside),
            Kind.Nullable => CountOutside(node.Inner!),
            Kind.Null => 0,
            _ => 1,
        };
    }

    private static void Write(Node node, ReadOnlySpan<float> values, ref int position, ref Writer writer, int arrayItems)
    {
        switch (node.Kind)
        {
            case Kind.Int:
                writer.WriteLong(writer.Whole(values[position++], int.MinValue, int.MaxValue, node.Path));
                break;
            case Kind.Long:
                writer.WriteLong(writer.Whole(values[position++], long.MinValue, long.MaxValue, node.Path));
                break;
            case Kind.Float:
                writer.WriteFloat(values[position++]);
                break;
            case Kind.Double:
                writer.WriteDouble(values[position++]);
                break;
            case Kind.Boolean:
            {
                var v = values[position++];
                writer.WriteByte(v switch
                {
                    0f => 0,
                    1f => 1,
                    _ => throw writer.Unrepresentable(node.Path, v, "a boolean is 0 or 1"),
                });
                break;
            }
            case Kind.Enum:
                writer.WriteLong(writer.Whole(values[position++], 0, node.SymbolCount - 1, node.Path));
                break;
            case Kind.Null:
                break;
            case Kind.Record:
                foreach (var child in node.Children) Write(child, values, ref position, ref writer, arrayItems);
                break;
            case Kind.Nullable:
            {
                var count = node.Inner!.FixedCount!.Value;
                var allNaN = count > 0;
                for (var i = 0; i < count; i++) allNaN &= float.IsNaN(values[position + i]);
                if (allNaN)
                {
                    writer.WriteLong(node.NullBranch);
                    position += count;
                }
                else
                {
                    writer.WriteLong(1 - node.NullBranch);
                    Write(node.Inner, values, ref position, ref writer, arrayItems);
                }
                break;
            }
            case Kind.Array:
                if (arrayItems > 0)
                {
                    writer.WriteLong(arrayItems);
                    for (var i = 0; i < arrayItems; i++) Write(node.Inner!, values, ref position, ref writer, arrayItems);
                }
                writer.WriteLong(0);
                break;
            default:
                throw new InvalidOperationException(node.Kind.ToString());
        }
    }
}
