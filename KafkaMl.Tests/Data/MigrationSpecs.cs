namespace KafkaMl.Tests.Data;

public sealed class MigrationSpecs : IDisposable
{
    private readonly TestDatabase database = new(migrate: false);

    public void Dispose() => database.Dispose();

    [Fact]
    public void Migrating_an_empty_file_applies_every_migration_and_creates_every_table()
    {
        using var db = database.CreateContext();

        db.Database.Migrate();

        Assert.Equal(db.Database.GetMigrations(), db.Database.GetAppliedMigrations());
        Assert.Empty(db.Database.GetPendingMigrations());
        var tables = db.Database.SqlQueryRaw<string>("SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'table'").ToList();
        Assert.Superset(
            new HashSet<string> { "Models", "Configurations", "ConfigurationModels", "Deployments", "TrainingResults", "EpochMetrics", "Datasources", "Inferences" },
            tables.ToHashSet());
    }

    [Fact]
    public async Task Migrating_a_second_time_is_a_no_op_that_keeps_the_data()
    {
        using (var first = database.CreateContext()) first.Database.Migrate();
        var model = await database.SeedModelAsync();

        using var again = database.CreateContext();
        Assert.Empty(again.Database.GetPendingMigrations());
        again.Database.Migrate();

        Assert.Equal(again.Database.GetMigrations(), again.Database.GetAppliedMigrations());
        Assert.Equal([model.Name], await again.Models.Select(m => m.Name).ToListAsync());
    }

    [Fact]
    public void The_migrations_cover_every_change_of_the_model()
    {
        using var db = database.CreateContext();

        Assert.False(db.Database.HasPendingModelChanges(), "the model changed without a migration: run 'dotnet ef migrations add'");
    }
}
