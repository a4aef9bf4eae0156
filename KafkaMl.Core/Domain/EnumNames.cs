using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

/// <summary>
/// The wire names of the domain's enums (the <see cref="JsonStringEnumMemberNameAttribute"/> of each
/// member, e.g. <c>cross_entropy</c>): one source for JSON, the database and validation messages.
/// </summary>
public static class EnumNames
{
    /// <summary>The wire name of <paramref name="value"/> (lowercase for every domain enum).</summary>
    public static string ToName<TEnum>(this TEnum value) where TEnum : struct, Enum =>
        Cache<TEnum>.ToName.TryGetValue(value, out var name) ? name : value.ToString().ToLowerInvariant();

    /// <summary>Parses a wire name, ignoring case; also accepts the member name (e.g. <c>CrossEntropy</c>).</summary>
    public static bool TryParse<TEnum>(string? name, out TEnum value) where TEnum : struct, Enum
    {
        value = default;
        return name is not null && Cache<TEnum>.FromName.TryGetValue(name.Trim(), out value);
    }

    /// <summary>Parses a wire name (see <see cref="TryParse{TEnum}"/>); throws on an unknown name.</summary>
    public static TEnum Parse<TEnum>(string name) where TEnum : struct, Enum =>
        TryParse<TEnum>(name, out var value)
            ? value
            : throw new FormatException($"'{name}' is not one of {string.Join(", ", Names<TEnum>())}.");

    /// <summary>All wire names in declaration order.</summary>
    public static IReadOnlyList<string> Names<TEnum>() where TEnum : struct, Enum => Cache<TEnum>.Names;

    private static class Cache<TEnum> where TEnum : struct, Enum
    {
        public static readonly FrozenDictionary<TEnum, string> ToName;
        public static readonly FrozenDictionary<string, TEnum> FromName;
        public static readonly IReadOnlyList<string> Names;

        static Cache()
        {
            var members = typeof(TEnum).GetFields(BindingFlags.Public | BindingFlags.Static)
                .Select(f => (Value: (TEnum)f.GetValue(null)!, Member: f.Name,
                    Wire: f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name.ToLowerInvariant()))
                .ToList();
            ToName = members.ToFrozenDictionary(m => m.Value, m => m.Wire);
            var fromName = new Dictionary<string, TEnum>(StringComparer.OrdinalIgnoreCase);
            foreach (var m in members) fromName.TryAdd(m.Wire, m.Value);
            foreach (var m in members) fromName.TryAdd(m.Member, m.Value);
            FromName = fromName.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
            Names = members.Select(m => m.Wire).ToArray();
        }
    }
}
