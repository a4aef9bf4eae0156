using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

/// <summary>
/// Deployments (a configuration trained with settings) as the API and the portal's deploy form use them: create one
/// training result per model and have their jobs started, list, get, delete. The field rules are
/// <see cref="DeploymentRules"/> (<see cref="Check"/> is what the form runs beside each field).
/// </summary>
public sealed partial class DeploymentService(
    IDbContextFactory<KafkaMlDbContext> contexts,
    TrainingOrchestrator orchestrator,
    ResultsNotifier notifier,
    ModelValidator? validator = null)
{
    /// <summary>Every field's rule but the configuration's existence.</summary>
    public static IReadOnlyDictionary<string, string[]> Check(DeploymentRequest request) => DeploymentRules.Validate(request).Errors.ToDictionary();

    /// <summary>The deployments, newest first, with their results in brief.</summary>
    public async Task<List<DeploymentResponse>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deployments = await db.Deployments.AsNoTracking()
            .Include(d => d.Configuration)
            .Include(d => d.Results).ThenInclude(r => r.Model)
            .OrderByDescending(d => d.Id)
            .AsSplitQuery()
            .ToListAsync(cancellationToken);
        return deployments.Select(ToResponse).ToList();
    }

    public async Task<Outcome<DeploymentResponse>> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deployment = await db.Deployments.AsNoTracking()
            .Include(d => d.Configuration)
            .Include(d => d.Results).ThenInclude(r => r.Model)
            .AsSplitQuery()
            .SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        return deployment is null ? DeploymentNotFound(id) : Outcome.Ok(ToResponse(deployment));
    }

    /// <summary>
    /// Creates one training result per model of the configuration (status created) and has one training job per
    /// result started in the background; each job then waits on the control topic for this deployment's data.
    /// </summary>
    public async Task<Outcome<DeploymentResponse>> CreateAsync(DeploymentRequest request, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var (errors, deployment) = DeploymentRules.Validate(request);
        Configuration? configuration = null;
        if (request.ConfigurationId is { } configurationId)
        {
            configuration = await db.Configurations.Include(c => c.Models).SingleOrDefaultAsync(c => c.Id == configurationId, cancellationToken);
            if (configuration is null) errors.Add("configurationId", $"Configuration {configurationId} does not exist.");
            else if (configuration.Models.Count == 0) errors.Add("configurationId", $"Configuration '{configuration.Name}' has no models to train.");
        }
        if (request.InitialWeightsResultId is { } initial)
            await CheckInitialWeightsAsync(db, initial, configuration, deployment, errors, cancellationToken);
        if (errors.Any) return errors.ToFailure();

        var now = DateTimeOffset.UtcNow;
        deployment.ConfigurationId = configuration!.Id;
        deployment.CreatedAt = now;
        deployment.Results = configuration.Models.OrderBy(m => m.Id).Select(model => new TrainingResult
        {
            ModelId = model.Id,
            ModelCode = model.Code,
            Status = TrainingStatus.Created,
            StatusChanged = now,
        }).ToList();
        db.Deployments.Add(deployment);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            return Outcome.Invalid("configurationId", "The configuration or one of its models was deleted meanwhile; nothing was deployed.");
        }

        // Saved first, then started: a job never exists without its result (Hangfire keeps the enqueued starts across restarts).
        foreach (var result in deployment.Results)
        {
            orchestrator.EnqueueStart(result.Id);
            await notifier.NotifyStatusAsync(result.Id, deployment.Id, result.Status);
        }
        return Outcome.Ok(DeploymentResponse.From(deployment, configuration.Name,
            deployment.Results.Select(r => new DeploymentResultSummary(r.Id, r.ModelId, configuration.Models.Single(m => m.Id == r.ModelId).Name, r.Status))));
    }

    /// <summary>
    /// Stops the deployment's running jobs, then deletes it with its results and their files; refused while an
    /// inference serves one of its results.
    /// </summary>
    public async Task<Outcome<Done>> DeleteAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deployment = await db.Deployments.Include(d => d.Results).SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (deployment is null) return DeploymentNotFound(id);

        var inferences = await db.Inferences.AsNoTracking()
            .Where(i => i.Result!.DeploymentId == id)
            .OrderBy(i => i.Id)
            .Select(i => i.Id)
            .ToListAsync(cancellationToken);
        if (inferences.Count > 0)
        {
            return Outcome.Conflict(
                $"Deployment {id} has results served by inference(s) {string.Join(", ", inferences)}; stop and delete them first.",
                "inferenceIds", inferences);
        }

        foreach (var result in deployment.Results.Where(r => !r.Status.IsFinal()))
            await orchestrator.StopJobAsync(result.Id, cancellationToken);

        // Its results and their epochs go with it (cascade).
        db.Deployments.Remove(deployment);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            return Outcome.Conflict($"A result of deployment {id} has just been deployed for inference; nothing was deleted.", "deploymentId", id);
        }
        foreach (var result in deployment.Results) orchestrator.DeleteResultFiles(result.Id);
        return Outcome.Ok(Done.Value);
    }

    private static DeploymentResponse ToResponse(Deployment deployment) =>
        DeploymentResponse.From(deployment, deployment.Configuration?.Name ?? "",
            deployment.Results.Select(r => new DeploymentResultSummary(r.Id, r.ModelId, r.Model?.Name ?? "", r.Status)));

    private static Failure DeploymentNotFound(int id) => Outcome.NotFound($"Deployment {id} does not exist.");
}
