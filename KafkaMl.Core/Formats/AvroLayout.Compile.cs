using Avro;

namespace KafkaMl.Core.Formats;

// Compiling a schema into the tree of numeric leaves that reading and writing walk.
internal sealed partial class AvroLayout
{
    private enum Kind { Int, Long, Float, Double, Boolean, Enum, Null, Record, Array, Nullable }

    private sealed record Node(Kind Kind, string Path)
    {
        public Node[] Children { get; init; } = [];
        public Node? Inner { get; init; }
        public int SymbolCount { get; init; }
        public int NullBranch { get; init; }
        public int? FixedCount { get; init; }
        public int MinBytes { get; init; }
    }

    private static Node Compile(Schema schema, string path, string key)
    {
        var name = path.Length == 0 ? "(root)" : path;
        if (schema is null) throw new DataFormatException($"input_config.{key}: field '{name}' has no type Avro knows.");
        switch (schema.Tag)
        {
            case Schema.Type.Int:
                return new Node(Kind.Int, name) { FixedCount = 1, MinBytes = 1 };
            case Schema.Type.Long:
                return new Node(Kind.Long, name) { FixedCount = 1, MinBytes = 1 };
            case Schema.Type.Float:
                return new Node(Kind.Float, name) { FixedCount = 1, MinBytes = 4 };
            case Schema.Type.Double:
                return new Node(Kind.Double, name) { FixedCount = 1, MinBytes = 8 };
            case Schema.Type.Boolean:
                return new Node(Kind.Boolean, name) { FixedCount = 1, MinBytes = 1 };
            case Schema.Type.Null:
                return new Node(Kind.Null, name) { FixedCount = 0 };
            case Schema.Type.Enumeration:
                return new Node(Kind.Enum, name) { FixedCount = 1, MinBytes = 1, SymbolCount = ((EnumSchema)schema).Count };
            case Schema.Type.Logical:
                return Compile(((LogicalSchema)schema).BaseSchema, path, key);
            case Schema.Type.Record:
            case Schema.Type.Error:
            {
                var children = ((RecordSchema)schema).Fields
                    .Select(f => Compile(f.Schema, path.Length == 0 ? f.Name : $"{path}.{f.Name}", key))
                    .ToArray();
                var fixedCount = children.All(c => c.FixedCount.HasValue) ? children.Sum(c => c.FixedCount!.Value) : (int?)null;
                return new Node(Kind.Record, name) { Children = children, FixedCount = fixedCount, MinBytes = children.Sum(c => c.MinBytes) };
            }
            case Schema.Type.Array:
            {
                var item = Compile(((ArraySchema)schema).ItemSchema, path + "[]", key);
                return new Node(Kind.Array, name) { Inner = item, MinBytes = 1 };
            }
            case Schema.Type.Union:
            {
                var branches = ((UnionSchema)schema).Schemas;
                var nullBranch = branches.Count == 2 ? (branches[0].Tag == Schema.Type.Null ? 0 : branches[1].Tag == Schema.Type.Null ? 1 : -1) : -1;
                if (nullBranch < 0)
                    throw new DataFormatException($"input_config.{key}: field '{name}' is a union of {string.Join(", ", branches.Select(b => b.Tag.ToString().ToLowerInvariant()))}; only a union of null and one numeric type has a numeric reading.");
                var inner = Compile(branches[1 - nullBranch], path, key);
                if (inner.FixedCount is null)
                    throw new DataFormatException($"input_config.{key}: field '{name}' is a nullable value of variable size (an array); a null could not be told apart in the flattened features.");
                return new Node(Kind.Nullable, name) { Inner = inner, NullBranch = nullBranch, FixedCount = inner.FixedCount, MinBytes = 1 };
            }
            default:
                throw new DataFormatException(
                    $"input_config.{key}: field '{name}' has the Avro type {schema.Tag.ToString().ToLowerInvariant()}, which has no numeric reading; use int, long, float, double, boolean, enum, records or arrays of those.");
        }
    }

    private static IEnumerable<string> Leaves(Node node) => node.Kind switch
    {
        Kind.Record => node.Children.SelectMany(Leaves),
        Kind.Array or Kind.Nullable => Leaves(node.Inner!),
        Kind.Null => [],
        _ => [node.Path],
    };
}
