using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>
/// <c>/api/results</c>. The rules live in <see cref="ResultService"/>; these handlers only turn its outcomes into HTTP answers.
/// </summary>
public static partial class ResultsApi
{
    public static RouteGroupBuilder MapResultsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/results").WithTags("Results").WithProblemJson();

        api.MapGet("/", ListResults)
            .WithName("ListResults")
            .WithSummary("List training results")
            .WithDescription("Newest first; filter by deploymentId and/or status (created, deployed, training, finished, failed, stopped).");
        api.MapGet("/{id:int}", GetResult)
            .WithName("GetResult")
            .WithSummary("Get a training result")
            .WithDescription("With selfTraining: a semi-supervised run's rounds by window then round (round 0 = the labelled data only), "
                + "each with added, classCounts, confidence, testMetrics, poolLeft and window (null for a bounded run); an empty list for a supervised run. "
                + "With chain for an early-exit chain (null otherwise): exitWeights, exits (each exit's trainMetrics, valMetrics, testMetrics, confusionMatrix), "
                + "tradeOff (per threshold: shares answered at each exit and the overall accuracy), suggestedThreshold and tolerance.");
        api.MapDelete("/{id:int}", DeleteResult)
            .WithName("DeleteResult")
            .WithSummary("Delete a training result")
            .WithDescription("Stops its job if it still runs, then deletes it and its files. Refused with 409 while an inference serves it.");
        api.MapGet("/{id:int}/metrics", GetMetrics)
            .WithName("GetResultMetrics")
            .WithSummary("The per-epoch train and validation metrics of a result");
        api.MapPost("/{id:int}/stop", StopResult)
            .WithName("StopResult")
            .WithSummary("Stop a result's training")
            .WithDescription("Ends the training job and marks the result stopped; only while it is created, deployed or training (else 409).");
        api.MapGet("/{id:int}/model", DownloadModel)
            .WithName("DownloadResultModel")
            .WithSummary("Download the trained model")
            .WithDescription("A zip with the script (model.csx), TorchSharp's weights (model.dat), the same weights as safetensors "
                + "(model.safetensors, loadable by PyTorch) and metadata.json (settings, metrics, input format, scaler, versions). "
                + "409 until the result is finished.");
        api.MapGet("/{id:int}/stages/{stage:int}/model", DownloadStageModel)
            .WithName("DownloadResultStageModel")
            .WithSummary("Download one stage of an early-exit chain (an edge device takes only its stage)")
            .WithDescription("A zip with stage{k}.dat (TorchSharp) and stage{k}.safetensors holding only stage k's parameters, named without "
                + "the stage's prefix (body.*, exit.*: they load into Stage(body, exit); the final stage's into its module), the script and "
                + "metadata.json. The whole chain is /model. 400 for a plain model or an unknown stage; 409 until the result is finished.");
        api.MapGet("/{id:int}/versions", ListVersions)
            .WithName("ListResultVersions")
            .WithSummary("The published model versions of a result")
            .WithDescription("Version 1 first: each with publishedAt, samplesSeen, trainMetrics, valMetrics, testMetrics and its scaler. "
                + "A bounded training has version 1 only; an incremental one publishes a version each time its monitored metric improves.");
        api.MapGet("/{id:int}/versions/{version:int}/model", DownloadVersionModel)
            .WithName("DownloadResultVersionModel")
            .WithSummary("Download one published version of the model")
            .WithDescription("The same zip as /model, with that version's weights, scaler and metrics (metadata.json names the version). "
                + "Available once the version is published, whatever the result's status; 404 for an unknown result or version.");
        api.MapGet("/{id:int}/log", GetLog)
            .WithName("GetResultLog")
            .WithSummary("The end of the training job's log (text)");
        MapResultImport(api);

        return api;
    }

    public static async Task<Results<Ok<List<ResultResponse>>, ValidationProblem>> ListResults(
        int? deploymentId, string? status, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.ListResponsesAsync(deploymentId, status, cancellationToken);
        return outcome.Value is { } list ? TypedResults.Ok(list) : Problems.Validation(outcome.Failure!);
    }

    public static async Task<Results<Ok<ResultResponse>, NotFound<ProblemDetails>>> GetResult(
        int id, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.ResponseAsync(id, cancellationToken);
        return outcome.Value is { } result ? TypedResults.Ok(result) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteResult(
        int id, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.DeleteAsync(id, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.NoContent(),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Conflict(outcome.Failure!),
        };
    }

    public static async Task<Results<Ok<ResultMetricsResponse>, NotFound<ProblemDetails>>> GetMetrics(
        int id, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.MetricsAsync(id, cancellationToken);
        return outcome.Value is { } metrics ? TypedResults.Ok(metrics) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<Ok<ResultResponse>, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> StopResult(
        int id, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.StopAsync(id, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Ok(ResultResponse.From(outcome.Value!, outcome.Value!.Model?.Name ?? "")),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Conflict(outcome.Failure!),
        };
    }

    public static async Task<Results<FileContentHttpResult, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DownloadModel(
        int id, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.BundleAsync(id, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.File(outcome.Value!.Zip, "application/zip", outcome.Value.FileName),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            _ => Problems.Conflict(outcome.Failure!),
        };
    }

    public static async Task<Results<FileContentHttpResult, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>, ProblemHttpResult>> DownloadStageModel(
        int id, int stage, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.StageBundleAsync(id, stage, cancellationToken);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.File(outcome.Value!.Zip, "application/zip", outcome.Value.FileName),
            OutcomeKind.Invalid => Problems.Validation(outcome.Failure!),
            OutcomeKind.NotFound => Problems.NotFound(outcome.Failure!),
            OutcomeKind.Conflict => Problems.Conflict(outcome.Failure!),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Stage weights unavailable", detail: outcome.Problem),
        };
    }

    public static async Task<Results<Ok<List<ModelVersionResponse>>, NotFound<ProblemDetails>>> ListVersions(
        int id, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.VersionsAsync(id, cancellationToken);
        return outcome.Value is { } versions ? TypedResults.Ok(versions) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<FileContentHttpResult, NotFound<ProblemDetails>>> DownloadVersionModel(
        int id, int version, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.VersionBundleAsync(id, version, cancellationToken);
        return outcome.Value is { } bundle ? TypedResults.File(bundle.Zip, "application/zip", bundle.FileName) : Problems.NotFound(outcome.Failure!);
    }

    public static async Task<Results<ContentHttpResult, NotFound<ProblemDetails>>> GetLog(
        int id, int? lines, [FromServices] ResultService results, CancellationToken cancellationToken)
    {
        var outcome = await results.LogAsync(id, lines, cancellationToken);
        return outcome.Value is { } log ? TypedResults.Text(log, "text/plain; charset=utf-8") : Problems.NotFound(outcome.Failure!);
    }
}
