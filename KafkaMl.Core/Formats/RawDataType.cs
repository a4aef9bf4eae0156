namespace KafkaMl.Core.Formats;

/// <summary>The element types of Kafka-ML's RAW format (<c>data_type</c> / <c>label_type</c>).</summary>
public enum RawDataType
{
    Float16,
    Float32,
    Float64,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    Int64,
    Bool,
}

/// <summary>Names, sizes and ranges of <see cref="RawDataType"/>.</summary>
public static class RawDataTypes
{
    /// <summary>Every accepted name (case-insensitive). <c>bool_</c> is numpy 1.x's name, which Kafka-ML's RawSink writes when it detects the type.</summary>
    public static readonly IReadOnlyDictionary<string, RawDataType> ByName =
        new Dictionary<string, RawDataType>(StringComparer.OrdinalIgnoreCase)
        {
            ["half"] = RawDataType.Float16,
            ["float16"] = RawDataType.Float16,
            // Kafka-ML's TensorFlow decoder maps "float" to tf.float (32 bits); that is the reading taken here.
            ["float"] = RawDataType.Float32,
            ["float32"] = RawDataType.Float32,
            ["double"] = RawDataType.Float64,
            ["float64"] = RawDataType.Float64,
            ["int8"] = RawDataType.Int8,
            ["uint8"] = RawDataType.UInt8,
            ["int16"] = RawDataType.Int16,
            ["uint16"] = RawDataType.UInt16,
            ["int32"] = RawDataType.Int32,
            ["int64"] = RawDataType.Int64,
            ["bool"] = RawDataType.Bool,
            ["bool_"] = RawDataType.Bool,
        };

    /// <summary>The names documented for users (and listed in errors).</summary>
    public const string DocumentedNames = "half, float16, float, float32, double, float64, int8, uint8, int16, uint16, int32, int64, bool";

    /// <summary>Parses a type name; throws <see cref="DataFormatException"/> naming <paramref name="key"/> and the accepted names.</summary>
    public static RawDataType Parse(string name, string key) =>
        ByName.TryGetValue(name.Trim(), out var type)
            ? type
            : throw new DataFormatException($"{key} '{name}' is not a known data type; use one of {DocumentedNames}.");

    /// <summary>The canonical name written into <c>input_config</c> (numpy's, as Kafka-ML's RawSink writes it).</summary>
    public static string Name(this RawDataType type) => type switch
    {
        RawDataType.Float16 => "float16",
        RawDataType.Float32 => "float32",
        RawDataType.Float64 => "float64",
        RawDataType.Int8 => "int8",
        RawDataType.UInt8 => "uint8",
        RawDataType.Int16 => "int16",
        RawDataType.UInt16 => "uint16",
        RawDataType.Int32 => "int32",
        RawDataType.Int64 => "int64",
        RawDataType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Bytes per element.</summary>
    public static int Size(this RawDataType type) => type switch
    {
        RawDataType.Int8 or RawDataType.UInt8 or RawDataType.Bool => 1,
        RawDataType.Float16 or RawDataType.Int16 or RawDataType.UInt16 => 2,
        RawDataType.Float32 or RawDataType.Int32 => 4,
        RawDataType.Float64 or RawDataType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
