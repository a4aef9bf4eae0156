using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>
/// <c>/api/configurations</c>. The rules live in <see cref="ConfigurationService"/>; these handlers only turn its
/// outcomes into HTTP answers.
/// </summary>
public static class ConfigurationsApi
{
    public static RouteGroupBuilder MapConfigurationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/configurations").WithTags("Configurations").WithProblemJson();

        api.MapGet("/", ListConfigurations)
            .WithName("ListConfigurations")
            .WithSummary("List configurations")
            .WithDescription("All configurations, by id, with the ids of their models.");
        api.MapGet("/{id:int}", GetConfiguration)
            .WithName("GetConfiguration")
            .WithSummary("Get a configuration");
        api.MapPost("/", CreateConfiguration)
            .WithName("CreateConfiguration")
            .WithSummary("Create a configuration")
            .WithDescription("The name must be unique (ignoring case); modelIds must name one or more existing models.");
        api.MapPut("/{id:int}", UpdateConfiguration)
            .WithName("UpdateConfiguration")
            .WithSummary("Update a configuration")
            .WithDescription("Replaces the name, description and the set of models.");
        api.MapDelete("/{id:int}", DeleteConfiguration)
            .WithName("DeleteConfiguration")
            .WithSummary("Delete a configuration")
            .WithDescription("Refused with 409 while a deployment uses the configuration; its models are kept.");

        return api;
    }

    public static async Task<Ok<List<ConfigurationResponse>>> ListConfigurations(
        [FromServices] ConfigurationService configurations, CancellationToken cancellationToken) =>
        TypedResults.Ok(await configurations.ListAsync(cancellationToken));

    public static async Task<Results<Ok<ConfigurationResponse>, NotFound<ProblemDetails>>> GetConfiguration(
        int id, [FromServices] ConfigurationService configurations, CancellationToken cancellationToken)
    {
        var outcome = await configurations.GetAsync(id, cancellationToken);
        return outcome.Value is { } configuration ? TypedResults.Ok(configuration) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Created<ConfigurationResponse>, ValidationProblem>> CreateConfiguration(
        ConfigurationRequest request, [FromServices] ConfigurationService configurations, CancellationToken cancellationToken)
    {
        var outcome = await configurations.CreateAsync(request, cancellationToken);
        return outcome.Value is { } configuration
            ? TypedResults.Created($"/api/configurations/{configuration.Id}", configuration)
            : Problems.Validation(outcome.Failure!);
    }

    public static async Task<Results<Ok<ConfigurationResponse>, NotFound<ProblemDetails>, ValidationProblem>> UpdateConfiguration(
        int id, ConfigurationRequest request, [FromServices] ConfigurationService configurations, CancellationToken cancellationToken)
    {
        var outcome = await configurations.UpdateAsync(id, request, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Ok(outcome.Value!),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Validation(outcome.Failure!),
        };
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteConfiguration(
        int id, [FromServices] ConfigurationService configurations, CancellationToken cancellationToken)
    {
        var outcome = await configurations.DeleteAsync(id, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.NoContent(),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Conflict(outcome.Failure!),
        };
    }
}
