using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace KafkaMl.Tests.Support;

/// <summary>
/// A real SQLite database file in a fresh temporary directory, migrated with <c>Database.Migrate()</c>
/// unless asked not to; disposing deletes the directory.
/// </summary>
public sealed class TestDatabase : IDisposable
{
    public TestDatabase(bool migrate = true)
    {
        DirectoryPath = Path.Combine(Path.GetTempPath(), "kafkaml-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DirectoryPath);
        DatabasePath = Path.Combine(DirectoryPath, KafkaMlDataExtensions.DatabaseFileName);
        if (migrate)
        {
            using var db = CreateContext();
            db.Database.Migrate();
        }
    }

    public string DirectoryPath { get; }

    public string DatabasePath { get; }

    /// <summary>A new context on the file, configured like the portal's (plus any interceptors).</summary>
    public KafkaMlDbContext CreateContext(params IInterceptor[] interceptors)
    {
        var options = new DbContextOptionsBuilder<KafkaMlDbContext>();
        options.UseKafkaMlSqlite(DatabasePath);
        if (interceptors.Length > 0) options.AddInterceptors(interceptors);
        return new KafkaMlDbContext(options.Options);
    }

    /// <summary>An interceptor running <paramref name="action"/> just before each save: simulates a concurrent writer.</summary>
    public static IInterceptor BeforeSaving(Func<Task> action) => new BeforeSavingInterceptor(action);

    public void Dispose()
    {
        // Pooled connections keep the file open; release them before deleting the directory.
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DirectoryPath, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }
}

internal sealed class BeforeSavingInterceptor(Func<Task> action) : SaveChangesInterceptor
{
    public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await action();
        return result;
    }
}
