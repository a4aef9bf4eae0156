using Microsoft.Data.Sqlite;

namespace KafkaMl.Tests.Browser;

/// <summary>
/// A portal whose database already holds what a busy team's would: 100 models, 100 configurations of ten
/// models each, one deployment per configuration with a finished (or failed/stopped) result per model —
/// 1,000 results with <see cref="EpochsPerResult"/> epochs of metrics each — a datasource per deployment
/// and a few stopped inference services. Written with EF Core before the portal starts.
/// </summary>
public sealed class ManyResultsPortalFixture : BrowserPortalFixture
{
    public const int Models = 100;
    public const int ModelsPerConfiguration = 10;
    public const int Deployments = 100;
    public const int EpochsPerResult = 20;
    public const int Inferences = 20;

    protected override async Task SeedAsync(string dataDir)
    {
        var options = KafkaMlDataExtensions.CreateOptions(Path.Combine(dataDir, KafkaMlDataExtensions.DatabaseFileName));
        await using (var db = new KafkaMlDbContext(options))
        {
            await db.Database.MigrateAsync();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            var start = DateTimeOffset.UtcNow.AddDays(-30);

            var models = Enumerable.Range(1, Models).Select(i => new Model
            {
                Name = $"mlp-{i:000}",
                Description = $"HCOPD variant {i}: {2 + i % 30} hidden units",
                Code = $"""Sequential(("fc1", Linear(3, {2 + i % 30})), ("sig", Sigmoid()), ("fc2", Linear({2 + i % 30}, 2)))""",
                CreatedAt = start.AddMinutes(i),
                UpdatedAt = start.AddMinutes(i),
            }).ToList();
            db.Models.AddRange(models);

            var random = new Random(6);
            for (var d = 0; d < Deployments; d++)
            {
                var members = Enumerable.Range(0, ModelsPerConfiguration).Select(k => models[(d + k) % Models]).ToList();
                var configuration = new Configuration { Name = $"compare-{d + 1:000}", Description = "seeded for the render measurement", Models = members };
                var deployedAt = start.AddHours(d);
                var deployment = new Deployment
                {
                    Configuration = configuration,
                    BatchSize = 10, Epochs = EpochsPerResult, LearningRate = 0.01, Optimizer = Optimizer.Adam, Loss = Loss.CrossEntropy,
                    Metrics = ["accuracy"], Seed = d, CreatedAt = deployedAt,
                    Results = members.Select((model, k) => ASettledResult(model, deployedAt.AddMinutes(k), random)).ToList(),
                };
                db.Deployments.Add(deployment);
                db.Datasources.Add(new Datasource
                {
                    DeploymentId = d + 1, Topic = $"hcopd-{d + 1}:0:0:239", InputFormat = "RAW",
                    InputConfig = """{"data_type":"float32","label_type":"float32","data_reshape":"3","label_reshape":""}""",
                    Description = "HCOPD", ValidationRate = 0.1, TestRate = 0.1, TotalMsg = 239, Time = deployedAt,
                });
            }
            await db.SaveChangesAsync();

            var finished = await db.TrainingResults.Where(r => r.Status == TrainingStatus.Finished).OrderBy(r => r.Id).Take(Inferences).ToListAsync();
            db.Inferences.AddRange(finished.Select(r => new Core.Domain.Inference
            {
                ResultId = r.Id, Replicas = 1 + r.Id % 3, InputFormat = "RAW", InputConfig = "{}",
                InputTopic = $"in-{r.Id}", OutputTopic = $"out-{r.Id}", Status = InferenceStatus.Stopped, StatusChanged = r.StatusChanged,
            }));
            await db.SaveChangesAsync();
        }
        // Pooled connections would keep the file open under the starting portal.
        SqliteConnection.ClearAllPools();
    }

    /// <summary>A result that is over (nothing for the portal's reconcile job to do): mostly finished, some failed or stopped.</summary>
    private static TrainingResult ASettledResult(Model model, DateTimeOffset startedAt, Random random)
    {
        var status = random.Next(20) switch { 0 => TrainingStatus.Failed, 1 => TrainingStatus.Stopped, _ => TrainingStatus.Finished };
        var epochs = status == TrainingStatus.Finished ? EpochsPerResult : random.Next(1, EpochsPerResult);
        var curve = Enumerable.Range(1, epochs).Select(e => new EpochMetric
        {
            Epoch = e,
            TrainMetrics = new() { ["loss"] = 0.7 / e + random.NextDouble() * 0.02, ["accuracy"] = 0.6 + 0.3 * e / EpochsPerResult },
            ValMetrics = new() { ["loss"] = 0.75 / e + random.NextDouble() * 0.04, ["accuracy"] = 0.55 + 0.3 * e / EpochsPerResult },
            RecordedAt = startedAt.AddSeconds(e),
        }).ToList();
        var last = curve[^1];
        return new TrainingResult
        {
            Model = model,
            ModelCode = model.Code,
            Status = status,
            Epochs = curve,
            TrainMetrics = last.TrainMetrics,
            ValMetrics = last.ValMetrics,
            TestMetrics = status == TrainingStatus.Finished ? new() { ["loss"] = last.ValMetrics["loss"], ["accuracy"] = 0.8 + random.NextDouble() * 0.15 } : [],
            ConfusionMatrix = status == TrainingStatus.Finished ? [[14, 2], [1, 7]] : null,
            TrainingSeconds = 2 + random.NextDouble() * 3,
            StatusChanged = startedAt.AddSeconds(epochs + 1),
            Error = status == TrainingStatus.Failed ? "The job exited with code 137 (killed: out of memory)." : status == TrainingStatus.Stopped ? "Stopped by a user." : null,
            DataTopic = "hcopd:0:0:239",
            InputFormat = "RAW",
        };
    }
}

[CollectionDefinition(Name)]
public sealed class ManyResultsBrowserCollection : ICollectionFixture<ManyResultsPortalFixture>
{
    public const string Name = "browser, 1,000 results";
}
