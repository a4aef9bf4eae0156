using System.Text.Json.Nodes;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Apis;

public static class DatasourcesApi
{
    public static RouteGroupBuilder MapDatasourcesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/datasources").WithTags("Datasources").WithProblemJson();

        api.MapGet("/", ListDatasources)
            .WithName("ListDatasources")
            .WithSummary("List datasources")
            .WithDescription("Every control message logged, newest first; deploymentId keeps those for one deployment. "
                + "A datasource is kept when its deployment is deleted.");
        api.MapGet("/{id:int}", GetDatasource)
            .WithName("GetDatasource")
            .WithSummary("Get a datasource");
        api.MapPost("/{id:int}/resend", ResendDatasource)
            .WithName("ResendDatasource")
            .WithSummary("Send a datasource again to another deployment")
            .WithDescription("Re-publishes the datasource's control message (same ranges, format, config, rates, total and description) "
                + "to the control topic for deploymentId, which must name an existing deployment; its training jobs then read the same "
                + "data without it being sent again. Answers 202 with the message sent.");

        return api;
    }

    public static async Task<Ok<List<DatasourceResponse>>> ListDatasources(
        int? deploymentId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var query = db.Datasources.AsNoTracking();
        if (deploymentId is { } id) query = query.Where(d => d.DeploymentId == id);
        var datasources = await query.OrderByDescending(d => d.Time).ThenByDescending(d => d.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(datasources.Select(DatasourceResponse.From).ToList());
    }

    public static async Task<Results<Ok<DatasourceResponse>, NotFound<ProblemDetails>>> GetDatasource(
        int id, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var datasource = await db.Datasources.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        return datasource is null ? DatasourceNotFound(id) : TypedResults.Ok(DatasourceResponse.From(datasource));
    }

    public static async Task<Results<Accepted<ResendResponse>, NotFound<ProblemDetails>, ValidationProblem, Conflict<ProblemDetails>, ProblemHttpResult>> ResendDatasource(
        int id, ResendRequest? request, [FromServices] DatasourceService datasources, CancellationToken cancellationToken)
    {
        var outcome = await datasources.ResendAsync(id, request?.DeploymentId, cancellationToken);
        switch (outcome.Status)
        {
            case ResendStatus.Sent:
                var sent = outcome.Sent!;
                var message = (JsonObject)JsonNode.Parse(sent.Message.ToUtf8Json())!;
                return TypedResults.Accepted(
                    $"/api/datasources?deploymentId={sent.DeploymentId}",
                    new ResendResponse(sent.DatasourceId, sent.DeploymentId, sent.ControlTopic, sent.Partition, sent.Offset, sent.Key, message));
            case ResendStatus.DatasourceNotFound:
                return DatasourceNotFound(id);
            case ResendStatus.InvalidDeploymentId:
                return Problems.Validation("deploymentId", outcome.Problem!);
            case ResendStatus.NotResendable:
                return TypedResults.Conflict(new ProblemDetails
                {
                    Status = StatusCodes.Status409Conflict,
                    Title = "Cannot be sent again",
                    Detail = outcome.Problem,
                });
            default:
                return TypedResults.Problem(outcome.Problem, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kafka unavailable");
        }
    }

    private static NotFound<ProblemDetails> DatasourceNotFound(int id) => Problems.NotFound($"Datasource {id} does not exist.");
}
