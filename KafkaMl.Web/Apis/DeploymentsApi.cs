using KafkaMl.Core.Domain;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Apis;

public static class DeploymentsApi
{
    public static RouteGroupBuilder MapDeploymentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/deployments").WithTags("Deployments").WithProblemJson();

        api.MapGet("/", ListDeployments)
            .WithName("ListDeployments")
            .WithSummary("List deployments")
            .WithDescription("All deployments, newest first, with their results in brief.");
        api.MapGet("/{id:int}", GetDeployment)
            .WithName("GetDeployment")
            .WithSummary("Get a deployment and its results");
        api.MapPost("/", CreateDeployment)
            .WithName("CreateDeployment")
            .WithSummary("Deploy a configuration for training")
            .WithDescription("Creates one training result per model of the configuration (status created) and starts one training "
                + "job per result in the background; each job then waits on the control topic for this deployment's data.");
        api.MapDelete("/{id:int}", DeleteDeployment)
            .WithName("DeleteDeployment")
            .WithSummary("Delete a deployment")
            .WithDescription("Stops its running jobs, then deletes it with its results and their files. Refused with 409 while an "
                + "inference serves one of its results.");

        return api;
    }

    public static async Task<Ok<List<DeploymentResponse>>> ListDeployments(KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var deployments = await db.Deployments.AsNoTracking()
            .Include(d => d.Configuration)
            .Include(d => d.Results).ThenInclude(r => r.Model)
            .OrderByDescending(d => d.Id)
            .AsSplitQuery()
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(deployments.Select(ToResponse).ToList());
    }

    public static async Task<Results<Ok<DeploymentResponse>, NotFound<ProblemDetails>>> GetDeployment(
        int id, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var deployment = await db.Deployments.AsNoTracking()
            .Include(d => d.Configuration)
            .Include(d => d.Results).ThenInclude(r => r.Model)
            .AsSplitQuery()
            .SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        return deployment is null ? DeploymentNotFound(id) : TypedResults.Ok(ToResponse(deployment));
    }

    public static async Task<Results<Created<DeploymentResponse>, ValidationProblem>> CreateDeployment(
        DeploymentRequest request,
        KafkaMlDbContext db,
        [FromServices] TrainingOrchestrator orchestrator,
        [FromServices] ResultsNotifier notifier,
        CancellationToken cancellationToken)
    {
        var (errors, deployment) = DeploymentRules.Validate(request);
        Configuration? configuration = null;
        if (request.ConfigurationId is { } configurationId)
        {
            configuration = await db.Configurations.Include(c => c.Models).SingleOrDefaultAsync(c => c.Id == configurationId, cancellationToken);
            if (configuration is null) errors.Add("configurationId", $"Configuration {configurationId} does not exist.");
            else if (configuration.Models.Count == 0) errors.Add("configurationId", $"Configuration '{configuration.Name}' has no models to train.");
        }
        if (errors.Any) return errors.ToProblem();

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
            return Problems.Validation("configurationId", "The configuration or one of its models was deleted meanwhile; nothing was deployed.");
        }

        // Saved first, then started: a job never exists without its result (Hangfire keeps the enqueued starts across restarts).
        foreach (var result in deployment.Results)
        {
            orchestrator.EnqueueStart(result.Id);
            await notifier.NotifyStatusAsync(result.Id, deployment.Id, result.Status);
        }
        var response = DeploymentResponse.From(deployment, configuration.Name,
            deployment.Results.Select(r => new DeploymentResultSummary(r.Id, r.ModelId, configuration.Models.Single(m => m.Id == r.ModelId).Name, r.Status)));
        return TypedResults.Created($"/api/deployments/{deployment.Id}", response);
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteDeployment(
        int id, KafkaMlDbContext db, [FromServices] TrainingOrchestrator orchestrator, CancellationToken cancellationToken)
    {
        var deployment = await db.Deployments.Include(d => d.Results).SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (deployment is null) return DeploymentNotFound(id);

        var inferences = await db.Inferences.AsNoTracking()
            .Where(i => i.Result!.DeploymentId == id)
            .OrderBy(i => i.Id)
            .Select(i => i.Id)
            .ToListAsync(cancellationToken);
        if (inferences.Count > 0)
        {
            return Problems.Conflict(
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
            return Problems.Conflict($"A result of deployment {id} has just been deployed for inference; nothing was deleted.", "deploymentId", id);
        }
        foreach (var result in deployment.Results) orchestrator.DeleteResultFiles(result.Id);
        return TypedResults.NoContent();
    }

    private static DeploymentResponse ToResponse(Deployment deployment) =>
        DeploymentResponse.From(deployment, deployment.Configuration?.Name ?? "",
            deployment.Results.Select(r => new DeploymentResultSummary(r.Id, r.ModelId, r.Model?.Name ?? "", r.Status)));

    private static NotFound<ProblemDetails> DeploymentNotFound(int id) => Problems.NotFound($"Deployment {id} does not exist.");
}
