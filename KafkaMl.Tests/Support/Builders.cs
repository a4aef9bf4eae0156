namespace KafkaMl.Tests.Support;

/// <summary>Test data: valid by default, unique names, override only what a test is about.</summary>
public static class Builders
{
    public const string SampleCode =
        "Sequential((\"drop\", Dropout(0.2)), (\"fc1\", Linear(3, 4)), (\"sig\", Sigmoid()), (\"fc2\", Linear(4, 2)))";

    private static int counter;

    public static string UniqueName(string prefix) => $"{prefix}-{Interlocked.Increment(ref counter)}";

    public static ModelRequest AModelRequest(string? name = null, string? description = "a small classifier", string? code = SampleCode) =>
        new(name ?? UniqueName("model"), description, code);

    public static ConfigurationRequest AConfigurationRequest(IReadOnlyList<int>? modelIds, string? name = null, string? description = "compare them") =>
        new(name ?? UniqueName("configuration"), description, modelIds);

    public static Model AModel(string? name = null) => new()
    {
        Name = name ?? UniqueName("model"),
        Description = "seeded",
        Code = SampleCode,
        CreatedAt = DateTimeOffset.UtcNow,
        UpdatedAt = DateTimeOffset.UtcNow,
    };

    public static async Task<Model> SeedModelAsync(this TestDatabase database, string? name = null)
    {
        await using var db = database.CreateContext();
        var model = AModel(name);
        db.Models.Add(model);
        await db.SaveChangesAsync();
        return model;
    }

    public static async Task<Configuration> SeedConfigurationAsync(this TestDatabase database, params int[] modelIds)
    {
        await using var db = database.CreateContext();
        var configuration = new Configuration
        {
            Name = UniqueName("configuration"),
            Description = "seeded",
            Models = await db.Models.Where(m => modelIds.Contains(m.Id)).ToListAsync(),
        };
        db.Configurations.Add(configuration);
        await db.SaveChangesAsync();
        return configuration;
    }

    /// <summary>A deployment of the configuration with one <c>created</c> result per model.</summary>
    public static async Task<Deployment> SeedDeploymentAsync(this TestDatabase database, int configurationId, params int[] modelIds)
    {
        await using var db = database.CreateContext();
        var deployment = ADeployment(configurationId, modelIds);
        db.Deployments.Add(deployment);
        await db.SaveChangesAsync();
        return deployment;
    }

    public static Deployment ADeployment(int configurationId, params int[] modelIds) => new()
    {
        ConfigurationId = configurationId,
        BatchSize = 10,
        Epochs = 5,
        LearningRate = 0.001,
        Optimizer = Optimizer.Adam,
        Loss = Loss.CrossEntropy,
        Metrics = ["accuracy"],
        Shuffle = true,
        CreatedAt = DateTimeOffset.UtcNow,
        Results = modelIds.Select(id => new TrainingResult
        {
            ModelId = id,
            Status = TrainingStatus.Created,
            StatusChanged = DateTimeOffset.UtcNow,
        }).ToList(),
    };

    /// <summary>Stores, through the portal's own services, a configuration of <paramref name="models"/> new models; returns its id.</summary>
    public static async Task<int> SeedConfigurationOfNewModelsAsync(this IServiceProvider services, int models = 1)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        var configuration = new Configuration { Name = UniqueName("configuration") };
        for (var i = 0; i < models; i++) configuration.Models.Add(AModel());
        db.Configurations.Add(configuration);
        await db.SaveChangesAsync();
        return configuration.Id;
    }
}
