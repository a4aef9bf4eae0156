using KafkaMl.Core.Dashboards;
using KafkaMl.Web.Services.Dashboards;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>
/// <c>/api/dashboards</c>: live prediction dashboards (issue 17). The rules live in <see cref="DashboardService"/>;
/// reading (and the summary) needs a viewer, changing an editor, as everywhere under <c>/api</c>.
/// </summary>
public static class DashboardsApi
{
    public static RouteGroupBuilder MapDashboardsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/dashboards").WithTags("Dashboards").WithProblemJson();

        api.MapGet("/", ListDashboards)
            .WithName("ListDashboards")
            .WithSummary("List dashboards")
            .WithDescription("Every saved dashboard, by id (an inference's own dashboard once its tab was opened).");
        api.MapGet("/{id:int}", GetDashboard)
            .WithName("GetDashboard")
            .WithSummary("Get a dashboard");
        api.MapPost("/", CreateDashboard)
            .WithName("CreateDashboard")
            .WithSummary("Create a dashboard")
            .WithDescription("type: classification or regression; window: the latest predictions the figures cover (1..100000, 100 when left out); "
                + "labels: [{id, label, color}] with #rgb/#rrggbb colours; labelTopic: true labels keyed like the input (optional).");
        api.MapPut("/{id:int}", UpdateDashboard)
            .WithName("UpdateDashboard")
            .WithSummary("Update a dashboard")
            .WithDescription("Replaces every field; open views follow on their next update.");
        api.MapDelete("/{id:int}", DeleteDashboard)
            .WithName("DeleteDashboard")
            .WithSummary("Delete a dashboard");
        api.MapGet("/{id:int}/summary", GetDashboardSummary)
            .WithName("GetDashboardSummary")
            .WithSummary("The live aggregates of a dashboard")
            .WithDescription("messages, notPredictions, current, last, classCounts (classification) or outputs (regression), accuracy or mae with a "
                + "label topic, and state (topicMissing when the topic does not exist). Starts the topic's reader like a viewer: the first call "
                + "answers from the topic's end, later calls what arrived since; it stops after a while without calls or viewers.");

        return api;
    }

    public static async Task<Ok<List<DashboardResponse>>> ListDashboards(
        [FromServices] DashboardService dashboards, CancellationToken cancellationToken) =>
        TypedResults.Ok(await dashboards.ListAsync(cancellationToken));

    public static async Task<Results<Ok<DashboardResponse>, NotFound<ProblemDetails>>> GetDashboard(
        int id, [FromServices] DashboardService dashboards, CancellationToken cancellationToken)
    {
        var outcome = await dashboards.GetAsync(id, cancellationToken);
        return outcome.Value is { } dashboard ? TypedResults.Ok(dashboard) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Created<DashboardResponse>, ValidationProblem>> CreateDashboard(
        DashboardRequest request, [FromServices] DashboardService dashboards, CancellationToken cancellationToken)
    {
        var outcome = await dashboards.CreateAsync(request, cancellationToken);
        return outcome.Value is { } dashboard
            ? TypedResults.Created($"/api/dashboards/{dashboard.Id}", dashboard)
            : Problems.Validation(outcome.Failure!);
    }

    public static async Task<Results<Ok<DashboardResponse>, NotFound<ProblemDetails>, ValidationProblem>> UpdateDashboard(
        int id, DashboardRequest request, [FromServices] DashboardService dashboards, CancellationToken cancellationToken)
    {
        var outcome = await dashboards.UpdateAsync(id, request, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Ok(outcome.Value!),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Validation(outcome.Failure!),
        };
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>>> DeleteDashboard(
        int id, [FromServices] DashboardService dashboards, CancellationToken cancellationToken)
    {
        var outcome = await dashboards.DeleteAsync(id, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Ok<DashboardSummary>, NotFound<ProblemDetails>>> GetDashboardSummary(
        int id, [FromServices] DashboardService dashboards, CancellationToken cancellationToken)
    {
        var outcome = await dashboards.SummaryAsync(id, cancellationToken);
        return outcome.Value is { } summary ? TypedResults.Ok(summary) : Problems.NotFound(outcome.Failure!);
    }
}
