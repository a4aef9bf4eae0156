using Microsoft.Data.Sqlite;

namespace KafkaMl.Web.Data;

/// <summary>Recognises SQLite constraint violations behind a <see cref="DbUpdateException"/>.</summary>
public static class SqliteErrors
{
    private const int SqliteConstraint = 19;
    private const int SqliteConstraintForeignKey = 787;
    private const int SqliteConstraintPrimaryKey = 1555;
    private const int SqliteConstraintTrigger = 1811;
    private const int SqliteConstraintUnique = 2067;

    /// <summary>A UNIQUE (or primary key) constraint failed, e.g. a duplicate name.</summary>
    public static bool IsUniqueViolation(this DbUpdateException exception) =>
        exception.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint } sqlite
        && sqlite.SqliteExtendedErrorCode is SqliteConstraintUnique or SqliteConstraintPrimaryKey;

    /// <summary>A FOREIGN KEY constraint failed: a referenced row is missing, or a deleted row is still referenced.</summary>
    /// <remarks>
    /// A missing parent reports <c>SQLITE_CONSTRAINT_FOREIGNKEY</c>; an <c>ON DELETE RESTRICT</c> refusal is carried
    /// out by SQLite as a trigger action and reports <c>SQLITE_CONSTRAINT_TRIGGER</c> with the same message.
    /// </remarks>
    public static bool IsForeignKeyViolation(this DbUpdateException exception) =>
        exception.InnerException is SqliteException { SqliteErrorCode: SqliteConstraint } sqlite
        && (sqlite.SqliteExtendedErrorCode == SqliteConstraintForeignKey
            || (sqlite.SqliteExtendedErrorCode == SqliteConstraintTrigger
                && sqlite.Message.Contains("FOREIGN KEY constraint failed", StringComparison.Ordinal)));
}
