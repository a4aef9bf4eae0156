using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace KafkaMl.Web.Data;

/// <summary>Stores a <see cref="DateTimeOffset"/> as a UTC <see cref="DateTime"/>; reads it back with offset zero.</summary>
public sealed class UtcDateTimeOffsetConverter() : ValueConverter<DateTimeOffset, DateTime>(
    value => value.UtcDateTime,
    stored => new DateTimeOffset(DateTime.SpecifyKind(stored, DateTimeKind.Utc)));

/// <summary>Stores an enum as its wire name (see <see cref="EnumNames"/>), e.g. <c>finished</c>.</summary>
public sealed class EnumNameConverter<TEnum>() : ValueConverter<TEnum, string>(
    value => value.ToName(),
    stored => EnumNames.Parse<TEnum>(stored))
    where TEnum : struct, Enum;

/// <summary>Maps a property to a TEXT column holding its JSON (metrics dictionaries, confusion matrices).</summary>
public static class JsonColumn
{
    /// <summary>NaN and ±Infinity are legitimate metric values (a diverged loss), so they round-trip as named literals.</summary>
    internal static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static PropertyBuilder<T> HasJsonConversion<T>(this PropertyBuilder<T> property)
    {
        property.HasConversion(
            new ValueConverter<T, string>(value => Serialize(value), stored => Deserialize<T>(stored)),
            new ValueComparer<T>(
                (left, right) => Serialize(left) == Serialize(right),
                value => Serialize(value).GetHashCode(),
                value => Deserialize<T>(Serialize(value))));
        return property;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string stored) => JsonSerializer.Deserialize<T>(stored, Options)!;
}
