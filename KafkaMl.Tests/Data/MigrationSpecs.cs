using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

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
    public async Task Upgrading_a_database_gives_every_finished_result_with_weights_its_version_1()
    {
        using (var old = database.CreateContext()) await old.GetService<IMigrator>().MigrateAsync("20261207005534_InferenceInputPartitions");
        var model = await database.SeedModelAsync();
        var configuration = await database.SeedConfigurationAsync(model.Id);
        using (var old = database.CreateContext())
        {
            await old.Database.ExecuteSqlAsync($$"""
                INSERT INTO Deployments (Id, ConfigurationId, BatchSize, Epochs, LearningRate, Optimizer, Loss, Metrics, Shuffle, Seed, CreatedAt)
                VALUES (1, {{configuration.Id}}, 10, 5, 0.01, 'adam', 'cross_entropy', '[]', 1, 42, '2026-01-01 00:00:00')
                """);
            await old.Database.ExecuteSqlAsync($$"""
                INSERT INTO TrainingResults (Id, DeploymentId, ModelId, ModelCode, Status, StatusChanged, TrainMetrics, ValMetrics, TestMetrics, WeightsPath, DataTopic, Scaler)
                VALUES (7, 1, {{model.Id}}, '', 'finished', '2026-01-02 03:04:05', '{"loss":0.3}', '{"loss":0.4}', '{"loss":0.5}', 'results/7/model.dat', 'hcopd:0:0:120, hcopd:1:5:119', '{"kind":"standard"}'),
                       (8, 1, {{model.Id}}, '', 'failed', '2026-01-02 03:04:05', '{}', '{}', '{}', NULL, 'hcopd:0:0:10', NULL),
                       (9, 1, {{model.Id}}, '', 'finished', '2026-01-02 03:04:05', '{}', '{}', '{}', 'results/9/model.dat', NULL, NULL)
                """);
        }

        using var db = database.CreateContext();
        await db.Database.MigrateAsync();

        var versions = await db.ModelVersions.OrderBy(v => v.ResultId).ToListAsync();
        Assert.Equal([(7, 1, 234L, "results/7/model.dat"), (9, 1, 0L, "results/9/model.dat")], versions.Select(v => (v.ResultId, v.Version, v.SamplesSeen, v.WeightsPath)));
        var first = versions[0];
        Assert.Equal((0.4, 0.5, """{"kind":"standard"}"""), (first.ValMetrics["loss"], first.TestMetrics["loss"], first.Scaler));
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), first.PublishedAt);
        Assert.Null((await db.Deployments.SingleAsync()).Incremental);
    }

    [Fact]
    public void The_migrations_cover_every_change_of_the_model()
    {
        using var db = database.CreateContext();

        Assert.False(db.Database.HasPendingModelChanges(), "the model changed without a migration: run 'dotnet ef migrations add'");
    }
}
