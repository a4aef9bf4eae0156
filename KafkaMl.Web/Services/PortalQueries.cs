namespace KafkaMl.Web.Services;

/// <summary>Read-only views of the database for the portal's pages (no tracking, projected rows).</summary>
public sealed class PortalQueries(IDbContextFactory<KafkaMlDbContext> contexts)
{
    public async Task<IReadOnlyList<ModelRow>> ModelsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Models.AsNoTracking().OrderBy(m => m.Name)
            .Select(m => new ModelRow(m.Id, m.Name, m.Description, m.Configurations.Count, m.UpdatedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ConfigurationRow>> ConfigurationsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.Configurations.AsNoTracking().OrderBy(c => c.Name)
            .Select(c => new { c.Id, c.Name, c.Description, Models = c.Models.Select(m => m.Name).ToList(), Deployments = c.Deployments.Count })
            .ToListAsync(cancellationToken);
        return rows.Select(c => new ConfigurationRow(c.Id, c.Name, c.Description, c.Models.Order().ToList(), c.Deployments)).ToList();
    }

    public async Task<IReadOnlyList<DeploymentRow>> DeploymentsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Deployments.AsNoTracking().OrderByDescending(d => d.Id)
            .Select(d => new DeploymentRow(d.Id, d.Configuration!.Name, d.BatchSize, d.Epochs, d.Optimizer, d.LearningRate, d.Loss, d.Results.Count, d.CreatedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<InferenceRow>> InferencesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Inferences.AsNoTracking().OrderByDescending(i => i.Id)
            .Select(i => new InferenceRow(i.Id, i.ResultId, i.Replicas, i.InputFormat, i.InputTopic, i.OutputTopic, i.Status, i.StatusChanged))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Datasource>> DatasourcesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Datasources.AsNoTracking().OrderByDescending(d => d.Id).ToListAsync(cancellationToken);
    }

    public async Task<Datasource?> DatasourceAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Datasources.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
    }
}

public sealed record ModelRow(int Id, string Name, string Description, int Configurations, DateTimeOffset UpdatedAt);

public sealed record ConfigurationRow(int Id, string Name, string Description, IReadOnlyList<string> Models, int Deployments);

public sealed record DeploymentRow(int Id, string Configuration, int BatchSize, int Epochs, Optimizer Optimizer, double LearningRate, Loss Loss, int Results, DateTimeOffset CreatedAt);

public sealed record InferenceRow(int Id, int ResultId, int Replicas, string InputFormat, string InputTopic, string OutputTopic, InferenceStatus Status, DateTimeOffset StatusChanged);
