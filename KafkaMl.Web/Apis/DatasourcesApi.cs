using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>
/// <c>/api/datasources</c>. The rules live in <see cref="DatasourceService"/>; these handlers only turn its outcomes
/// into HTTP answers.
/// </summary>
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
        int? deploymentId, [FromServices] DatasourceService datasources, CancellationToken cancellationToken) =>
        TypedResults.Ok(await datasources.ListAsync(deploymentId, cancellationToken));

    public static async Task<Results<Ok<DatasourceResponse>, NotFound<ProblemDetails>>> GetDatasource(
        int id, [FromServices] DatasourceService datasources, CancellationToken cancellationToken)
    {
        var outcome = await datasources.GetAsync(id, cancellationToken);
        return outcome.Value is { } datasource ? TypedResults.Ok(datasource) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Accepted<ResendResponse>, NotFound<ProblemDetails>, ValidationProblem, Conflict<ProblemDetails>, ProblemHttpResult>> ResendDatasource(
        int id, ResendRequest? request, [FromServices] DatasourceService datasources, CancellationToken cancellationToken)
    {
        var outcome = await datasources.ResendAsync(id, request?.DeploymentId, cancellationToken);
        switch (outcome.Kind)
        {
            case OutcomeKind.Ok:
                var sent = outcome.Value!;
                var message = (JsonObject)JsonNode.Parse(sent.Message.ToUtf8Json())!;
                return TypedResults.Accepted(
                    $"/api/datasources?deploymentId={sent.DeploymentId}",
                    new ResendResponse(sent.DatasourceId, sent.DeploymentId, sent.ControlTopic, sent.Partition, sent.Offset, sent.Key, message));
            case OutcomeKind.NotFound:
                return Problems.NotFound(outcome.Failure!);
            case OutcomeKind.Invalid:
                return Problems.Validation(outcome.Failure!);
            case OutcomeKind.Conflict:
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
}
