using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>
/// <c>/api/models</c>. The rules live in <see cref="ModelService"/>; these handlers only turn its outcomes into HTTP answers.
/// </summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/models").WithTags("Models").WithProblemJson();

        api.MapGet("/", ListModels)
            .WithName("ListModels")
            .WithSummary("List models")
            .WithDescription("All models, by id.");
        api.MapGet("/{id:int}", GetModel)
            .WithName("GetModel")
            .WithSummary("Get a model");
        api.MapPost("/", CreateModel)
            .WithName("CreateModel")
            .WithSummary("Create a model")
            .WithDescription("The name must be unique (ignoring case) and the code a valid model script: it must compile, "
                + "pass the sandbox check and build a module (checked in a short-lived child process). Errors answer 400 on "
                + "'code' with line and column, and the full diagnostics under 'diagnostics'.");
        api.MapPut("/{id:int}", UpdateModel)
            .WithName("UpdateModel")
            .WithSummary("Update a model")
            .WithDescription("Validated like a new model when the code changes.");
        api.MapPost("/validate", ValidateModel)
            .WithName("ValidateModel")
            .WithSummary("Validate a model script without saving it")
            .WithDescription("Compiles and sandbox-checks the script, then builds it in a child process with time and memory limits "
                + "(and runs a dry forward pass when inputShape is given or fixed by the script). Always 200 with ok and the "
                + "diagnostics; parameters, layers and outputShape when the module could be built.");
        api.MapDelete("/{id:int}", DeleteModel)
            .WithName("DeleteModel")
            .WithSummary("Delete a model")
            .WithDescription("Refused with 409 while a configuration or a training result uses the model.");

        return api;
    }

    public static async Task<Ok<List<ModelResponse>>> ListModels([FromServices] ModelService models, CancellationToken cancellationToken) =>
        TypedResults.Ok(await models.ListAsync(cancellationToken));

    public static async Task<Results<Ok<ModelResponse>, NotFound<ProblemDetails>>> GetModel(
        int id, [FromServices] ModelService models, CancellationToken cancellationToken)
    {
        var outcome = await models.GetAsync(id, cancellationToken);
        return outcome.Value is { } model ? TypedResults.Ok(model) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Created<ModelResponse>, ValidationProblem>> CreateModel(
        ModelRequest request, [FromServices] ModelService models, CancellationToken cancellationToken)
    {
        var outcome = await models.CreateAsync(request, cancellationToken);
        return outcome.Value is { } model ? TypedResults.Created($"/api/models/{model.Id}", model) : Problems.Validation(outcome.Failure!);
    }

    public static async Task<Results<Ok<ModelResponse>, NotFound<ProblemDetails>, ValidationProblem>> UpdateModel(
        int id, ModelRequest request, [FromServices] ModelService models, CancellationToken cancellationToken)
    {
        var outcome = await models.UpdateAsync(id, request, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Ok(outcome.Value!),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Validation(outcome.Failure!),
        };
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteModel(
        int id, [FromServices] ModelService models, CancellationToken cancellationToken)
    {
        var outcome = await models.DeleteAsync(id, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.NoContent(),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Conflict(outcome.Failure!),
        };
    }

    public static async Task<Results<Ok<ModelValidationResponse>, ValidationProblem>> ValidateModel(
        ModelValidationRequest request, [FromServices] ModelService models, CancellationToken cancellationToken)
    {
        var outcome = await models.ValidateAsync(request, cancellationToken);
        return outcome.Value is { } validation ? TypedResults.Ok(validation) : Problems.Validation(outcome.Failure!);
    }
}
