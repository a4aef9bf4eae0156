using static KafkaMl.Tests.Support.Builders;

namespace KafkaMl.Tests.Data;

public sealed class PersistenceSpecs : DatabaseSpecBase
{
    [Fact]
    public async Task Data_written_with_one_context_is_read_back_by_a_new_context_on_the_same_file()
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        var changed = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.FromHours(2)).AddTicks(1234567);
        int deploymentId;
        await using (var writer = Database.CreateContext())
        {
            var deployment = ADeployment(configuration.Id, model.Id);
            deployment.Metrics = ["accuracy", "mae"];
            deployment.EarlyStoppingPatience = 3;
            deployment.EarlyStoppingMinDelta = 0.01;
            deployment.ValidationRate = 0.2;
            var result = deployment.Results[0];
            result.Status = TrainingStatus.Finished;
            result.StatusChanged = changed;
            result.TrainMetrics = new() { ["loss"] = 0.25, ["accuracy"] = 0.9 };
            result.ValMetrics = new() { ["loss"] = 0.3 };
            result.TestMetrics = new() { ["loss"] = 0.41, ["accuracy"] = 0.83 };
            result.ConfusionMatrix = [[5, 1], [2, 7]];
            result.TrainingSeconds = 12.5;
            result.WeightsPath = "results/1/model.bin";
            result.Epochs = [new() { Epoch = 1, TrainMetrics = new() { ["loss"] = 0.7 }, ValMetrics = new() { ["loss"] = 0.8 }, RecordedAt = changed }];
            result.Inferences = [new() { Replicas = 2, InputFormat = "RAW", InputConfig = "{\"data_type\":\"float32\"}", InputTopic = "in", OutputTopic = "out", Status = InferenceStatus.Running, StatusChanged = changed }];
            writer.Deployments.Add(deployment);
            writer.Datasources.Add(new() { DeploymentId = deployment.Id, Topic = "data:0:0:120,data:1:0:119", InputFormat = "RAW", InputConfig = "{}", Description = "copd", ValidationRate = 0.1, TestRate = 0.1, TotalMsg = 239, Time = changed });
            await writer.SaveChangesAsync();
            deploymentId = deployment.Id;
        }

        await using var reader = Database.CreateContext();
        var stored = await reader.Deployments
            .Include(d => d.Configuration).ThenInclude(c => c!.Models)
            .Include(d => d.Results).ThenInclude(r => r.Epochs)
            .Include(d => d.Results).ThenInclude(r => r.Inferences)
            .SingleAsync(d => d.Id == deploymentId);
        Assert.Equal([model.Id], stored.Configuration!.Models.Select(m => m.Id));
        Assert.Equal((Optimizer.Adam, Loss.CrossEntropy, 3, 0.01, 0.2, (double?)null), (stored.Optimizer, stored.Loss, stored.EarlyStoppingPatience, stored.EarlyStoppingMinDelta, stored.ValidationRate, stored.TestRate));
        Assert.Equal(["accuracy", "mae"], stored.Metrics);
        var storedResult = Assert.Single(stored.Results);
        Assert.Equal(TrainingStatus.Finished, storedResult.Status);
        Assert.Equal(changed, storedResult.StatusChanged);
        Assert.Equal(new Dictionary<string, double> { ["loss"] = 0.41, ["accuracy"] = 0.83 }, storedResult.TestMetrics);
        Assert.Equal([[5, 1], [2, 7]], storedResult.ConfusionMatrix!);
        Assert.Equal((12.5, "results/1/model.bin"), (storedResult.TrainingSeconds, storedResult.WeightsPath));
        Assert.Equal(0.7, Assert.Single(storedResult.Epochs).TrainMetrics["loss"]);
        Assert.Equal(InferenceStatus.Running, Assert.Single(storedResult.Inferences).Status);
        var datasource = await reader.Datasources.SingleAsync();
        Assert.Equal(("data:0:0:120,data:1:0:119", 239L, changed), (datasource.Topic, datasource.TotalMsg, datasource.Time));
    }

    [Fact]
    public async Task Enums_are_stored_as_lowercase_names_and_times_as_sortable_utc_text()
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        await using (var db = Database.CreateContext())
        {
            var deployment = ADeployment(configuration.Id, model.Id);
            deployment.Loss = Loss.BinaryCrossEntropy;
            deployment.Optimizer = Optimizer.RmsProp;
            deployment.CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1));
            deployment.Results[0].Status = TrainingStatus.Training;
            db.Deployments.Add(deployment);
            await db.SaveChangesAsync();
        }

        await using var check = Database.CreateContext();
        Assert.Equal("binary_cross_entropy|rmsprop|2026-01-02 02:04:05", await Scalar(check, "SELECT Loss || '|' || Optimizer || '|' || CreatedAt FROM Deployments"));
        Assert.Equal("training", await Scalar(check, "SELECT Status FROM TrainingResults"));
        Assert.Equal(1, await check.Deployments.CountAsync(d => d.CreatedAt > new DateTimeOffset(2026, 1, 2, 2, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public async Task Metrics_survive_nan_and_infinity()
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        await using (var db = Database.CreateContext())
        {
            var deployment = ADeployment(configuration.Id, model.Id);
            deployment.Results[0].TrainMetrics = new() { ["loss"] = double.NaN, ["mse"] = double.PositiveInfinity };
            db.Deployments.Add(deployment);
            await db.SaveChangesAsync();
        }

        await using var check = Database.CreateContext();
        var metrics = (await check.TrainingResults.SingleAsync()).TrainMetrics;
        Assert.True(double.IsNaN(metrics["loss"]));
        Assert.Equal(double.PositiveInfinity, metrics["mse"]);
    }

    [Fact]
    public async Task Changing_a_metrics_dictionary_in_place_is_saved()
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        var deployment = await Database.SeedDeploymentAsync(configuration.Id, model.Id);
        await using (var db = Database.CreateContext())
        {
            var result = await db.TrainingResults.SingleAsync();
            result.TestMetrics["accuracy"] = 0.5;
            await db.SaveChangesAsync();
        }

        await using var check = Database.CreateContext();
        Assert.Equal(0.5, (await check.TrainingResults.SingleAsync(r => r.DeploymentId == deployment.Id)).TestMetrics["accuracy"]);
    }

    [Fact]
    public async Task Model_names_are_unique_ignoring_case_in_the_database_itself()
    {
        await Database.SeedModelAsync("Classifier");
        await using var db = Database.CreateContext();
        db.Models.Add(AModel("CLASSIFIER"));

        var exception = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.True(exception.IsUniqueViolation());
    }

    [Fact]
    public async Task Configuration_names_are_unique_ignoring_case_in_the_database_itself()
    {
        var model = await Database.SeedModelAsync();
        var existing = await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();
        db.Configurations.Add(new Configuration { Name = existing.Name.ToUpperInvariant() });

        var exception = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.True(exception.IsUniqueViolation());
    }

    [Fact]
    public async Task The_database_refuses_to_delete_a_model_linked_to_a_configuration()
    {
        var model = await Database.SeedModelAsync();
        await Database.SeedConfigurationAsync(model.Id);
        await using var db = Database.CreateContext();
        db.Models.Remove(new Model { Id = model.Id });

        var exception = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.True(exception.IsForeignKeyViolation());
        await using var check = Database.CreateContext();
        Assert.True(await check.Models.AnyAsync(m => m.Id == model.Id));
    }

    [Fact]
    public async Task The_database_refuses_to_delete_a_configuration_used_by_a_deployment()
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        await Database.SeedDeploymentAsync(configuration.Id, model.Id);
        await using var db = Database.CreateContext();
        db.Configurations.Remove(new Configuration { Id = configuration.Id });

        var exception = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.True(exception.IsForeignKeyViolation());
    }

    [Fact]
    public async Task Deleting_a_deployment_deletes_its_results_and_their_epoch_history_but_keeps_its_datasources()
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        var deployment = await Database.SeedDeploymentAsync(configuration.Id, model.Id);
        await using (var db = Database.CreateContext())
        {
            var result = await db.TrainingResults.SingleAsync();
            db.EpochMetrics.Add(new EpochMetric { ResultId = result.Id, Epoch = 1, RecordedAt = DateTimeOffset.UtcNow });
            db.Datasources.Add(new Datasource { DeploymentId = deployment.Id, Topic = "data:0:0:10", InputFormat = "RAW", TotalMsg = 10, Time = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        await using (var db = Database.CreateContext())
        {
            db.Deployments.Remove(await db.Deployments.SingleAsync());
            await db.SaveChangesAsync();
        }

        await using var check = Database.CreateContext();
        Assert.False(await check.TrainingResults.AnyAsync());
        Assert.False(await check.EpochMetrics.AnyAsync());
        Assert.Equal(deployment.Id, (await check.Datasources.SingleAsync()).DeploymentId);
    }

    [Fact]
    public async Task An_epoch_is_recorded_once_per_result()
    {
        var model = await Database.SeedModelAsync();
        var configuration = await Database.SeedConfigurationAsync(model.Id);
        await Database.SeedDeploymentAsync(configuration.Id, model.Id);
        await using var db = Database.CreateContext();
        var resultId = (await db.TrainingResults.SingleAsync()).Id;
        db.EpochMetrics.AddRange(
            new EpochMetric { ResultId = resultId, Epoch = 1, RecordedAt = DateTimeOffset.UtcNow },
            new EpochMetric { ResultId = resultId, Epoch = 1, RecordedAt = DateTimeOffset.UtcNow });

        var exception = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.True(exception.IsUniqueViolation());
    }

    /// <summary>Reads one raw value with plain ADO.NET: what is really in the file, no EF conversion.</summary>
    private static async Task<string?> Scalar(KafkaMlDbContext db, string sql)
    {
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = sql;
            return (await command.ExecuteScalarAsync())?.ToString();
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
