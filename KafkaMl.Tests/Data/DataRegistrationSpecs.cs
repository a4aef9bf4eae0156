using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;

namespace KafkaMl.Tests.Data;

public sealed class DataRegistrationSpecs : IDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "kafkaml-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    [Fact]
    public async Task Starting_the_host_creates_the_data_directory_and_migrates_the_database_before_other_services_start()
    {
        var dataDir = Path.Combine(root, "nested", "data");
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration["KafkaMl:DataDir"] = dataDir;
        // Registered first on purpose: it must still find a migrated database.
        var probe = new SchemaProbe();
        builder.Services.AddHostedService(sp => probe.With(sp.GetRequiredService<IDbContextFactory<KafkaMlDbContext>>()));
        builder.AddKafkaMlData();

        using var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();

        Assert.True(File.Exists(Path.Combine(dataDir, KafkaMlDataExtensions.DatabaseFileName)));
        Assert.True(probe.SawNoPendingMigrations);
    }

    [Fact]
    public void The_context_is_available_both_from_the_factory_and_scoped()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["KafkaMl:DataDir"] = root;
        builder.AddKafkaMlData();
        using var host = builder.Build();

        using var fromFactory = host.Services.GetRequiredService<IDbContextFactory<KafkaMlDbContext>>().CreateDbContext();
        using var scope = host.Services.CreateScope();
        var scoped = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();

        Assert.Equal(Path.Combine(root, KafkaMlDataExtensions.DatabaseFileName), scoped.Database.GetDbConnection().DataSource);
        Assert.Equal(scoped.Database.GetDbConnection().DataSource, fromFactory.Database.GetDbConnection().DataSource);
    }

    [Fact]
    public void A_relative_data_directory_is_resolved_to_a_full_path()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(root, "relative"));
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["KafkaMl:DataDir"] = relative;
        builder.AddKafkaMlData();
        using var host = builder.Build();

        using var db = host.Services.GetRequiredService<IDbContextFactory<KafkaMlDbContext>>().CreateDbContext();

        Assert.Equal(Path.Combine(root, "relative", KafkaMlDataExtensions.DatabaseFileName), db.Database.GetDbConnection().DataSource);
        Assert.True(Directory.Exists(Path.Combine(root, "relative")));
    }

    private sealed class SchemaProbe : IHostedService
    {
        private IDbContextFactory<KafkaMlDbContext>? factory;

        public bool SawNoPendingMigrations { get; private set; }

        public SchemaProbe With(IDbContextFactory<KafkaMlDbContext> contextFactory)
        {
            factory = contextFactory;
            return this;
        }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var db = await factory!.CreateDbContextAsync(cancellationToken);
            SawNoPendingMigrations = !(await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any();
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
