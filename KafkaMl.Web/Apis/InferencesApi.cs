using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>
/// <c>/api/inferences</c>: trained results served as streaming inference services (DESIGN §1.6, §4). The rules live
/// in <see cref="InferenceService"/>; these handlers only turn its outcomes into HTTP answers.
/// </summary>
public static class InferencesApi
{
    public static RouteGroupBuilder MapInferencesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/inferences").WithTags("Inferences").WithProblemJson();

        api.MapGet("/", ListInferences)
            .WithName("ListInferences")
            .WithSummary("List inferences")
            .WithDescription("Newest first, each with its live replicas' stats; filter by resultId.");
        api.MapGet("/{id:int}", GetInference)
            .WithName("GetInference")
            .WithSummary("Get an inference with live stats per replica and its latest predictions");
        api.MapPost("/", CreateInference)
            .WithName("CreateInference")
            .WithSummary("Deploy a finished result for inference")
            .WithDescription("Creates the inference (status created) and starts its replicas in the background: one consumer group "
                + "reading inputTopic, predictions to outputTopic, undecodable messages to <inputTopic>.dlq. inputFormat and inputConfig "
                + "default to the stream the result trained on. 400 for an unfinished result, a topic name Kafka would reject or an input "
                + "config that does not fit the model's input; 404 for an unknown result. An early-exit chain's result deploys one service per stage: "
                + "\"thresholds\": [one per early exit] (default the trade-off's suggestion), \"stages\": [{\"replicas\", \"bootstrapServers\"}, ...] (one per "
                + "stage; one stage is refused); stage k > 1 reads <inputTopic>-stage<k> (float32 RAW) on its Kafka, and every answer, with \"exit\": k, goes to "
                + "outputTopic on stage 1's Kafka.");
        api.MapPost("/{id:int}/stop", StopInference)
            .WithName("StopInference")
            .WithSummary("Stop an inference's replicas")
            .WithDescription("Ends every replica (predictions in flight are delivered, offsets committed) and marks the inference stopped.");
        api.MapPost("/{id:int}/scale", ScaleInference)
            .WithName("ScaleInference")
            .WithSummary("Change the number of replicas (1 to 16)")
            .WithDescription("409 once the inference is stopped or failed; 502 when the job runner cannot scale it.");
        api.MapPost("/{id:int}/version", SetInferenceVersion)
            .WithName("SetInferenceVersion")
            .WithSummary("Pin a model version of the result (roll back or promote by hand), or follow the latest")
            .WithDescription("{\"version\": 3} pins version 3; {\"version\": \"latest\"} follows the result's newest. The replicas load the "
                + "version in the background and swap to it between batches (no restart); one whose weights will not load is refused and "
                + "the previous keeps serving (stats.replicas[].refusedVersion, loadError). 400 for a version the result does not have; "
                + "409 once the inference is stopped or failed.");
        api.MapPost("/{id:int}/thresholds", SetChainThresholds)
            .WithName("SetChainThresholds")
            .WithSummary("Change a running early-exit chain's thresholds (one per early exit), without a restart")
            .WithDescription("{\"thresholds\": [0.9, 0.8]} on any stage of the chain; its replicas answer with the new thresholds within a second, "
                + "between batches. 400 for a plain inference or a wrong list; 409 once the chain is stopped or failed.");
        api.MapDelete("/{id:int}", DeleteInference)
            .WithName("DeleteInference")
            .WithSummary("Delete an inference")
            .WithDescription("Stops its replicas first; its topics stay. Any stage of an early-exit chain deletes the whole chain (every stage stopped).");
        return api;
    }

    public static async Task<Ok<List<InferenceResponse>>> ListInferences(int? resultId, [FromServices] InferenceService inferences, CancellationToken cancellationToken) =>
        TypedResults.Ok((await inferences.ListAsync(resultId, cancellationToken)).ToList());

    public static async Task<Results<Ok<InferenceResponse>, NotFound<ProblemDetails>>> GetInference(
        int id, [FromServices] InferenceService inferences, CancellationToken cancellationToken)
    {
        var outcome = await inferences.GetAsync(id, cancellationToken);
        return outcome.Value is { } inference ? TypedResults.Ok(inference) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Created<InferenceResponse>, ValidationProblem, NotFound<ProblemDetails>, ProblemHttpResult>> CreateInference(
        InferenceRequest request, [FromServices] InferenceService inferences, CancellationToken cancellationToken)
    {
        var outcome = await inferences.CreateAsync(request, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Created($"/api/inferences/{outcome.Value!.Id}", outcome.Value),
            OutcomeKind.Invalid => Problems.Validation(outcome.Failure!),
            OutcomeKind.Unavailable => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Kafka unavailable", detail: outcome.Problem),
            _ => Problems.NotFound(outcome.Failure!),
        };
    }

    public static async Task<Results<Ok<InferenceResponse>, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> SetChainThresholds(
        int id, ChainThresholdsRequest request, [FromServices] InferenceService inferences, CancellationToken cancellationToken)
    {
        var outcome = await inferences.SetThresholdsAsync(id, request.Thresholds, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Ok(outcome.Value!),
            OutcomeKind.Invalid => Problems.Validation(outcome.Failure!),
            OutcomeKind.Conflict => Problems.Conflict(outcome.Failure!),
            _ => Problems.NotFound(outcome.Failure!),
        };
    }

    public static async Task<Results<Ok<InferenceResponse>, NotFound<ProblemDetails>>> StopInference(
        int id, [FromServices] InferenceService inferences, CancellationToken cancellationToken)
    {
        var outcome = await inferences.StopAsync(id, cancellationToken);
        return outcome.Value is { } inference ? TypedResults.Ok(inference) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Ok<InferenceResponse>, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>, ProblemHttpResult>> ScaleInference(
        int id, InferenceScaleRequest request, [FromServices] InferenceService inferences, CancellationToken cancellationToken)
    {
        var outcome = await inferences.ScaleAsync(id, request.Replicas, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Ok(outcome.Value!),
            OutcomeKind.Invalid => Problems.Validation(outcome.Failure!),
            OutcomeKind.Conflict => Problems.Conflict(outcome.Failure!),
            OutcomeKind.Failed => TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Job runner failed", detail: outcome.Problem),
            _ => Problems.NotFound(outcome.Failure!),
        };
    }

    public static async Task<Results<Ok<InferenceResponse>, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> SetInferenceVersion(
        int id, InferenceVersionRequest request, [FromServices] InferenceService inferences, CancellationToken cancellationToken)
    {
        var outcome = await inferences.SetVersionAsync(id, request.Version, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Ok(outcome.Value!),
            OutcomeKind.Invalid => Problems.Validation(outcome.Failure!),
            OutcomeKind.Conflict => Problems.Conflict(outcome.Failure!),
            _ => Problems.NotFound(outcome.Failure!),
        };
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>>> DeleteInference(
        int id, [FromServices] InferenceService inferences, CancellationToken cancellationToken)
    {
        var outcome = await inferences.DeleteAsync(id, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : Problems.NotFound(outcome.Failure!);
    }
}
