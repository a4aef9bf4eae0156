using System.Collections.Immutable;
using System.Globalization;

namespace KafkaMl.Core.Formats;

/// <summary>
/// A reshape from an <c>input_config</c> (<c>data_reshape</c>, <c>label_reshape</c>): dimensions
/// separated by spaces as Kafka-ML writes them (<c>"28 28"</c>), empty for a flat vector. One
/// dimension may be <c>-1</c> (inferred from the element count, as numpy/TensorFlow allow).
/// Parentheses and commas are tolerated (<c>"(28, 28)"</c>).
/// </summary>
public sealed class Reshape
{
    private static readonly char[] Separators = [' ', ',', '\t', '\n', '\r'];
    private ImmutableArray<int> _lastFlat = [0];

    private Reshape(string key, ImmutableArray<int> dims)
    {
        Key = key;
        Dims = dims;
        var known = 1L;
        foreach (var d in dims)
            if (d > 0) known *= d;
        KnownProduct = known;
        HasInferredDimension = dims.Contains(-1);
    }

    /// <summary>The config key this reshape came from, for messages (<c>data_reshape</c>).</summary>
    public string Key { get; }

    /// <summary>The dimensions; empty for a flat vector; may hold one <c>-1</c>.</summary>
    public ImmutableArray<int> Dims { get; }

    public bool IsFlat => Dims.IsEmpty;

    public bool HasInferredDimension { get; }

    /// <summary>The product of the known (positive) dimensions.</summary>
    public long KnownProduct { get; }

    /// <summary>The element count the reshape demands, or null when it depends on the message (flat or -1).</summary>
    public long? FixedCount => IsFlat || HasInferredDimension ? null : KnownProduct;

    /// <summary>The reshape as Kafka-ML writes it: dimensions separated by single spaces; empty when flat.</summary>
    public string Text => string.Join(' ', Dims);

    public override string ToString() => Text;

    public static Reshape Flat(string key) => new(key, []);

    public static Reshape Of(string key, params int[] dims) => Parse(string.Join(' ', dims), key);

    /// <summary>Parses a reshape; throws <see cref="DataFormatException"/> naming <paramref name="key"/>.</summary>
    public static Reshape Parse(string? text, string key)
    {
        if (string.IsNullOrWhiteSpace(text)) return Flat(key);
        var trimmed = text.Trim().Trim('(', ')', '[', ']');
        var parts = trimmed.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        var dims = ImmutableArray.CreateBuilder<int>(parts.Length);
        var product = 1L;
        var inferred = false;
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var dim))
                throw new DataFormatException($"{key} '{text}' is not a list of dimensions separated by spaces (e.g. \"28 28\"): '{part}' is not a whole number.");
            if (dim == -1)
            {
                if (inferred) throw new DataFormatException($"{key} '{text}' has more than one -1 dimension; only one can be inferred.");
                inferred = true;
            }
            else if (dim <= 0)
            {
                throw new DataFormatException($"{key} '{text}' has the dimension {dim}; dimensions must be positive (or one -1).");
            }
            else
            {
                product *= dim;
                if (product > int.MaxValue) throw new DataFormatException($"{key} '{text}' describes more than {int.MaxValue} elements.");
            }
            dims.Add(dim);
        }
        return new Reshape(key, dims.MoveToImmutable());
    }

    /// <summary>
    /// The concrete shape for <paramref name="count"/> elements, or null when the count does not fit
    /// (the caller words the error: it knows the byte sizes).
    /// </summary>
    public ImmutableArray<int>? Resolve(int count)
    {
        if (IsFlat)
        {
            var last = _lastFlat; // benign race: ImmutableArray is one reference
            if (last[0] == count) return last;
            ImmutableArray<int> flat = [count];
            _lastFlat = flat;
            return flat;
        }
        if (!HasInferredDimension) return count == KnownProduct ? Dims : null;
        if (count == 0 || count % KnownProduct != 0) return null;
        var missing = (int)(count / KnownProduct);
        var builder = ImmutableArray.CreateBuilder<int>(Dims.Length);
        foreach (var d in Dims) builder.Add(d == -1 ? missing : d);
        return builder.MoveToImmutable();
    }

    /// <summary>Words what the reshape needs, e.g. <c>"28 28" (784 values)</c> or <c>"-1 3" (a multiple of 3 values)</c>.</summary>
    internal string DescribeNeed() =>
        HasInferredDimension ? $"'{Text}' (a multiple of {KnownProduct} values)" : $"'{Text}' ({KnownProduct} values)";
}
