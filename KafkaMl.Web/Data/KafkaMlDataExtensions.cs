using KafkaMl.Web.Hosting;
using Microsoft.Data.Sqlite;

namespace KafkaMl.Web.Data;

public static class KafkaMlDataExtensions
{
    /// <summary>The database file's name inside the data directory.</summary>
    public const string DatabaseFileName = "kafkaml.db";

    /// <summary>
    /// Registers <see cref="KafkaMlDbContext"/> on SQLite at <c>&lt;KafkaMl:DataDir&gt;/kafkaml.db</c> (the data
    /// directory defaults to <c>./data</c>, is resolved to a full path and created if missing), both as an
    /// <see cref="IDbContextFactory{TContext}"/> (singleton, for Blazor components and background work) and as a
    /// scoped context (for API handlers), plus <see cref="MigrateDatabaseService"/>, which applies pending
    /// migrations before any hosted service starts and before the server serves.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaMlData(this IHostApplicationBuilder builder)
    {
        var databasePath = Path.Combine(builder.Configuration.GetKafkaMlOptions().DataDirFullPath, DatabaseFileName);

        // AddDbContextFactory also registers the context itself as scoped.
        builder.Services.AddDbContextFactory<KafkaMlDbContext>(options => options.UseKafkaMlSqlite(databasePath));
        builder.Services.AddHostedService<MigrateDatabaseService>();
        return builder;
    }

    /// <summary>Options for a context on the database file at <paramref name="databasePath"/> (tools and tests).</summary>
    public static DbContextOptions<KafkaMlDbContext> CreateOptions(string databasePath)
    {
        var options = new DbContextOptionsBuilder<KafkaMlDbContext>();
        options.UseKafkaMlSqlite(databasePath);
        return options.Options;
    }

    /// <summary>The SQLite settings every <see cref="KafkaMlDbContext"/> uses (the portal, the tools and the tests).</summary>
    public static DbContextOptionsBuilder UseKafkaMlSqlite(this DbContextOptionsBuilder options, string databasePath)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        return options.UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(typeof(KafkaMlDbContext).Assembly.GetName().Name));
    }
}
