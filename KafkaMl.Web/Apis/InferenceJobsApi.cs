using System.Text.Json.Nodes;
using KafkaMl.Core;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Jobs;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Apis;

/// <summary>
/// What inference replicas (the <c>infer</c> verb) ask and report, under <see cref="InferenceJobRoutes"/>: the spec,
/// the trained weights, and stats every few seconds. Every request carries the inference's job token
/// (<see cref="JobEnvironment.TokenHeader"/>), valid for that inference only: 401 without one, 403 with another's
/// (a training job's token included). A stopped or failed inference answers 409 and a deleted one 404, so the
/// replicas exit.
/// </summary>
public static class InferenceJobsApi
{
    public static RouteGroupBuilder MapInferenceJobsApi(this IEndpointRouteBuilder app)
    {
        var api = JobTokenFilter.MapGroup(app, JobScope.Inference, "inferenceId", "Inference jobs");

        api.MapGet("/", GetSpec)
            .WithName("GetInferenceJobSpec")
            .WithSummary("The replica's spec: model script, loss, scaler, input format and config, topics, consumer group");
        api.MapGet("/weights", GetWeights)
            .WithName("GetInferenceJobWeights")
            .WithSummary("The trained weights (TorchSharp format) of the model version to serve now, or of ?version=N");
        api.MapGet("/version", GetVersion)
            .WithName("GetInferenceJobVersion")
            .WithSummary("The model version to serve now (pinned, or the result's latest) and its scaler, or version ?version=N; replicas ask every second");
        api.MapPost("/stats", ReportStats)
            .WithName("ReportInferenceStats")
            .WithSummary("A replica reports its counters, latency percentiles and latest predictions")
            .WithDescription("The first report by which the replicas hold every input partition moves a deployed inference to running.");
        return api;
    }

    public static async Task<Results<Ok<InferenceJobSpec>, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> GetSpec(
        int inferenceId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var inference = await db.Inferences.AsNoTracking()
            .Include(i => i.Result!).ThenInclude(r => r.Model)
            .Include(i => i.Result!).ThenInclude(r => r.Deployment)
            .AsSplitQuery()
            .SingleOrDefaultAsync(i => i.Id == inferenceId, cancellationToken);
        if (inference is null) return InferenceNotFound(inferenceId);
        if (inference.Status.IsFinal()) return EndedConflict(inferenceId, inference.Status);

        var result = inference.Result!;
        var version = await InferenceVersions.FindAsync(db, result.Id, inference.PinnedVersion, null, cancellationToken);
        return TypedResults.Ok(new InferenceJobSpec(
            inference.Id,
            result.Id,
            result.Model?.Name ?? $"result-{result.Id}",
            result.ModelCode is { Length: > 0 } code ? code : result.Model?.Code ?? "",
            result.Deployment!.Loss.ToName(),
            inference.InputFormat,
            ResultInputResponse.ParseObject(inference.InputConfig) ?? [],
            inference.InputTopic,
            inference.OutputTopic,
            InferenceOrchestrator.ConsumerGroup(inference.Id),
            Scaler(version is null ? result.Scaler : version.Scaler))
        {
            Version = version?.Version,
            Chain = inference.Stage is null ? null : await InferenceChainSpecs.SpecAsync(db, inference, result, cancellationToken),
        });
    }

    /// <summary>The version the replicas should serve now, with its scaler: they load it when it is not the one they serve.</summary>
    public static async Task<Results<Ok<InferenceVersionSpec>, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> GetVersion(
        int inferenceId, int? version, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var inference = await db.Inferences.AsNoTracking().Where(i => i.Id == inferenceId)
            .Select(i => new { i.Status, i.ResultId, i.PinnedVersion, i.Threshold }).SingleOrDefaultAsync(cancellationToken);
        if (inference is null) return InferenceNotFound(inferenceId);
        if (inference.Status.IsFinal()) return EndedConflict(inferenceId, inference.Status);
        var found = await InferenceVersions.FindAsync(db, inference.ResultId, inference.PinnedVersion, version, cancellationToken);
        return found is null
            ? Problems.NotFound(version is { } v ? $"Result {inference.ResultId} has no model version {v}." : $"Result {inference.ResultId} of inference {inferenceId} has no model version to serve.")
            : TypedResults.Ok(new InferenceVersionSpec(found.Version, Scaler(found.Scaler)) { Threshold = inference.Threshold });
    }

    public static async Task<Results<PhysicalFileHttpResult, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> GetWeights(
        int inferenceId, int? version, KafkaMlDbContext db, IOptions<KafkaMlOptions> options, CancellationToken cancellationToken)
    {
        var inference = await db.Inferences.AsNoTracking()
            .Where(i => i.Id == inferenceId)
            .Select(i => new { i.Status, i.ResultId, i.PinnedVersion })
            .SingleOrDefaultAsync(cancellationToken);
        if (inference is null) return InferenceNotFound(inferenceId);
        if (inference.Status.IsFinal()) return EndedConflict(inferenceId, inference.Status);
        var served = await InferenceVersions.FindAsync(db, inference.ResultId, inference.PinnedVersion, version, cancellationToken);
        if (served is null)
            return Problems.NotFound(version is { } v ? $"Result {inference.ResultId} has no model version {v}." : $"The trained weights of inference {inferenceId}'s result are missing.");
        var path = Path.Combine(options.Value.DataDirFullPath, served.WeightsPath);
        if (!File.Exists(path)) return Problems.NotFound($"The weights of model version {served.Version} of inference {inferenceId}'s result are missing.");
        return TypedResults.PhysicalFile(path, "application/octet-stream", ResultFiles.Weights);
    }

    public static async Task<Results<NoContent, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> ReportStats(
        int inferenceId, InferenceStatsReport report, KafkaMlDbContext db, [FromServices] InferenceMonitor monitor, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(report.Replica)) return Problems.Validation("replica", "A stats report names its replica.");
        if (report.MessagesIn < 0 || report.MessagesOut < 0 || report.Errors < 0 || report.DeadLettered < 0)
            return Problems.Validation("messagesIn", "Counters cannot be negative.");

        var inference = await db.Inferences.AsNoTracking().Where(i => i.Id == inferenceId)
            .Select(i => new { i.Status, i.InputPartitions, i.Replicas }).SingleOrDefaultAsync(cancellationToken);
        if (inference is null) return InferenceNotFound(inferenceId);
        var status = inference.Status;
        if (status.IsFinal()) return EndedConflict(inferenceId, status);

        await monitor.RecordAsync(inferenceId, report with { Replica = report.Replica.Trim(), Recent = report.Recent ?? [] });
        // Replicas holding every input partition, spread as they will stay, mean the service serves (the start job may
        // not even have marked it deployed yet); until then it stays deployed, however many replicas report.
        if (status != InferenceStatus.Running
            && monitor.Get(inferenceId).Serves(inference.InputPartitions, inference.Replicas)
            && await db.Inferences.TryMoveAsync(inferenceId, [InferenceStatus.Created, InferenceStatus.Deployed], InferenceStatus.Running, null, cancellationToken))
        {
            await monitor.NotifyStatusAsync(inferenceId, InferenceStatus.Running);
        }
        return TypedResults.NoContent();
    }

    private static JsonObject? Scaler(string? json) => string.IsNullOrWhiteSpace(json) ? null : JsonNode.Parse(json) as JsonObject;

    private static Conflict<ProblemDetails> EndedConflict(int inferenceId, InferenceStatus status) =>
        Problems.Conflict($"Inference {inferenceId} is {status.ToName()}; its replicas should stop.", "status", status.ToName());

    private static NotFound<ProblemDetails> InferenceNotFound(int inferenceId) => Problems.NotFound($"Inference {inferenceId} does not exist.");
}
