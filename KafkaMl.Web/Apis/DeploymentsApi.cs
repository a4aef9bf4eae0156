using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>
/// <c>/api/deployments</c>. The rules live in <see cref="DeploymentService"/>; these handlers only turn its outcomes
/// into HTTP answers.
/// </summary>
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
                + "job per result in the background; each job then waits on the control topic for this deployment's data. "
                + "With incremental: true the jobs train on an open stream (an online control message) and publish model versions; "
                + "streamTimeoutMs, indefinite, monitoringMetric, change, improvement, windowSize and epochsPerWindow then apply.");
        api.MapDelete("/{id:int}", DeleteDeployment)
            .WithName("DeleteDeployment")
            .WithSummary("Delete a deployment")
            .WithDescription("Stops its running jobs, then deletes it with its results and their files. Refused with 409 while an "
                + "inference serves one of its results.");

        return api;
    }

    public static async Task<Ok<List<DeploymentResponse>>> ListDeployments(
        [FromServices] DeploymentService deployments, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deployments.ListAsync(cancellationToken));

    public static async Task<Results<Ok<DeploymentResponse>, NotFound<ProblemDetails>>> GetDeployment(
        int id, [FromServices] DeploymentService deployments, CancellationToken cancellationToken)
    {
        var outcome = await deployments.GetAsync(id, cancellationToken);
        return outcome.Value is { } deployment ? TypedResults.Ok(deployment) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Created<DeploymentResponse>, ValidationProblem>> CreateDeployment(
        DeploymentRequest request, [FromServices] DeploymentService deployments, CancellationToken cancellationToken)
    {
        var outcome = await deployments.CreateAsync(request, cancellationToken);
        return outcome.Value is { } deployment
            ? TypedResults.Created($"/api/deployments/{deployment.Id}", deployment)
            : Problems.Validation(outcome.Failure!);
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteDeployment(
        int id, [FromServices] DeploymentService deployments, CancellationToken cancellationToken)
    {
        var outcome = await deployments.DeleteAsync(id, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.NoContent(),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Conflict(outcome.Failure!),
        };
    }
}
