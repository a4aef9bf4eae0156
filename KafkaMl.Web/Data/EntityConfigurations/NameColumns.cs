using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace KafkaMl.Web.Data.EntityConfigurations;

internal static class NameColumns
{
    /// <summary>
    /// A name column of at most <paramref name="maxLength"/> characters, unique ignoring (ASCII) case: the NOCASE
    /// collation makes the unique index and every comparison on the column ignore case (models, configurations, users).
    /// </summary>
    public static void HasUniqueNameIgnoringCase<T>(this EntityTypeBuilder<T> entity, Expression<Func<T, string>> name, int maxLength)
        where T : class
    {
        entity.Property(name).HasMaxLength(maxLength).UseCollation("NOCASE");
        entity.HasIndex(((MemberExpression)name.Body).Member.Name).IsUnique();
    }
}
