namespace KafkaMl.Web.Data;

/// <summary>
/// Applies pending migrations when the host starts. The work happens in <see cref="StartingAsync"/>, which
/// the host runs before the <c>StartAsync</c> of every hosted service (the server included), so nothing
/// touches the database before its schema is current, whatever the registration order.
/// </summary>
public sealed partial class MigrateDatabaseService(
    IDbContextFactory<KafkaMlDbContext> contextFactory,
    ILogger<MigrateDatabaseService> logger) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        LogMigrating(db.Database.GetDbConnection().DataSource, pending.Count);
        try
        {
            await db.Database.MigrateAsync(cancellationToken);
            // Write-ahead logging lets the portal read while jobs report progress; it persists in the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        catch (Exception exception)
        {
            LogMigrationFailed(exception, db.Database.GetDbConnection().DataSource);
            throw;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Migrating database {Database}: {Pending} pending migration(s)")]
    private partial void LogMigrating(string database, int pending);

    [LoggerMessage(LogLevel.Critical, "Migrating database {Database} failed")]
    private partial void LogMigrationFailed(Exception exception, string database);
}
