using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Core;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Apis;

public static class ResultsApi
{
    /// <summary>Entries of the bundle <c>GET /api/results/{id}/model</c> answers.</summary>
    public const string ScriptEntry = "model.csx";
    public const string MetadataEntry = "metadata.json";

    public const int DefaultLogLines = ResultViews.DefaultLogLines;
    public const int MaxLogLines = ResultViews.MaxLogLines;

    private static readonly JsonSerializerOptions MetadataJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static RouteGroupBuilder MapResultsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/results").WithTags("Results").WithProblemJson();

        api.MapGet("/", ListResults)
            .WithName("ListResults")
            .WithSummary("List training results")
            .WithDescription("Newest first; filter by deploymentId and/or status (created, deployed, training, finished, failed, stopped).");
        api.MapGet("/{id:int}", GetResult)
            .WithName("GetResult")
            .WithSummary("Get a training result");
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
        api.MapGet("/{id:int}/log", GetLog)
            .WithName("GetResultLog")
            .WithSummary("The end of the training job's log (text)");

        return api;
    }

    public static async Task<Results<Ok<List<ResultResponse>>, ValidationProblem>> ListResults(
        int? deploymentId, string? status, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var query = db.TrainingResults.AsNoTracking().Include(r => r.Model).AsQueryable();
        if (deploymentId is { } deployment) query = query.Where(r => r.DeploymentId == deployment);
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!EnumNames.TryParse<TrainingStatus>(status, out var wanted))
                return Problems.Validation("status", $"Unknown status '{status}'; use one of {string.Join(", ", EnumNames.Names<TrainingStatus>())}.");
            query = query.Where(r => r.Status == wanted);
        }
        var results = await query.OrderByDescending(r => r.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(results.Select(r => ResultResponse.From(r, r.Model?.Name ?? "")).ToList());
    }

    public static async Task<Results<Ok<ResultResponse>, NotFound<ProblemDetails>>> GetResult(
        int id, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var result = await db.TrainingResults.AsNoTracking().Include(r => r.Model).SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        return result is null ? ResultNotFound(id) : TypedResults.Ok(ResultResponse.From(result, result.Model?.Name ?? ""));
    }

    public static async Task<Results<NoContent, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DeleteResult(
        int id, KafkaMlDbContext db, [FromServices] TrainingOrchestrator orchestrator, CancellationToken cancellationToken)
    {
        var outcome = await ResultViews.DeleteAsync(db, orchestrator, id, cancellationToken);
        return outcome.Status switch
        {
            DeleteStatus.Deleted => TypedResults.NoContent(),
            DeleteStatus.NotFound => ResultNotFound(id),
            DeleteStatus.InUse => Problems.Conflict(outcome.Problem!, "inferenceIds", outcome.InferenceIds),
            _ => Problems.Conflict(outcome.Problem!, "resultId", id),
        };
    }

    public static async Task<Results<Ok<ResultMetricsResponse>, NotFound<ProblemDetails>>> GetMetrics(
        int id, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var status = await db.TrainingResults.AsNoTracking().Where(r => r.Id == id).Select(r => (TrainingStatus?)r.Status).SingleOrDefaultAsync(cancellationToken);
        if (status is null) return ResultNotFound(id);

        var epochs = await db.EpochMetrics.AsNoTracking().Where(e => e.ResultId == id).OrderBy(e => e.Epoch).ToListAsync(cancellationToken);
        return TypedResults.Ok(new ResultMetricsResponse(id, status.Value,
            epochs.Select(e => new EpochMetricsResponse(e.Epoch, e.TrainMetrics, e.ValMetrics, e.RecordedAt)).ToList()));
    }

    public static async Task<Results<Ok<ResultResponse>, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> StopResult(
        int id,
        KafkaMlDbContext db,
        [FromServices] TrainingOrchestrator orchestrator,
        [FromServices] ResultsNotifier notifier,
        CancellationToken cancellationToken)
    {
        var outcome = await ResultViews.StopAsync(db, orchestrator, notifier, id, cancellationToken);
        return outcome.Status switch
        {
            StopStatus.Stopped => TypedResults.Ok(ResultResponse.From(outcome.Result!, outcome.Result!.Model?.Name ?? "")),
            StopStatus.NotFound => ResultNotFound(id),
            _ => Problems.Conflict(outcome.Problem!, "status", outcome.Current!.Value.ToName()),
        };
    }

    public static async Task<Results<FileContentHttpResult, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> DownloadModel(
        int id, KafkaMlDbContext db, [FromServices] TrainingOrchestrator orchestrator, CancellationToken cancellationToken)
    {
        var result = await db.TrainingResults.AsNoTracking()
            .Include(r => r.Model)
            .Include(r => r.Deployment)
            .SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (result is null) return ResultNotFound(id);
        if (result.Status != TrainingStatus.Finished)
            return Problems.Conflict($"Result {id} is {result.Status.ToName()}; its model can be downloaded once it is finished.", "status", result.Status.ToName());

        var directory = orchestrator.ResultDirectory(id);
        var weights = Path.Combine(directory, ResultFiles.Weights);
        if (!File.Exists(weights)) return Problems.NotFound($"The trained weights of result {id} are missing from the data directory.");

        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            await AddTextAsync(archive, ScriptEntry, Script(result), cancellationToken);
            await AddFileAsync(archive, ResultFiles.Weights, weights, cancellationToken);
            var safetensors = Path.Combine(directory, ResultFiles.Safetensors);
            if (File.Exists(safetensors)) await AddFileAsync(archive, ResultFiles.Safetensors, safetensors, cancellationToken);
            await AddTextAsync(archive, MetadataEntry, JsonSerializer.Serialize(Metadata(result, File.Exists(safetensors)), MetadataJson), cancellationToken);
        }
        return TypedResults.File(zip.ToArray(), "application/zip", $"kafkaml-result-{id}.zip");
    }

    public static async Task<Results<ContentHttpResult, NotFound<ProblemDetails>>> GetLog(
        int id, int? lines, KafkaMlDbContext db, [FromServices] IJobRunner runner, CancellationToken cancellationToken)
    {
        var outcome = await ResultViews.LogAsync(db, runner, id, lines, cancellationToken);
        return outcome.Status switch
        {
            LogStatus.Found => TypedResults.Text(outcome.Text, "text/plain; charset=utf-8"),
            LogStatus.ResultNotFound => ResultNotFound(id),
            _ => Problems.NotFound(outcome.Problem!),
        };
    }

    private static string Script(TrainingResult result) =>
        result.ModelCode is { Length: > 0 } code ? code : result.Model?.Code ?? "";

    private static JsonObject Metadata(TrainingResult result, bool hasSafetensors)
    {
        var deployment = result.Deployment!;
        return new JsonObject
        {
            ["format"] = "kafkaml-model-bundle/1",
            ["resultId"] = result.Id,
            ["deploymentId"] = result.DeploymentId,
            ["model"] = new JsonObject { ["id"] = result.ModelId, ["name"] = result.Model?.Name ?? "", ["script"] = ScriptEntry },
            ["weights"] = new JsonObject
            {
                ["torchSharp"] = ResultFiles.Weights,
                ["safetensors"] = hasSafetensors ? ResultFiles.Safetensors : null,
            },
            ["training"] = new JsonObject
            {
                ["batchSize"] = deployment.BatchSize,
                ["epochs"] = deployment.Epochs,
                ["learningRate"] = deployment.LearningRate,
                ["optimizer"] = deployment.Optimizer.ToName(),
                ["loss"] = deployment.Loss.ToName(),
                ["metrics"] = new JsonArray([.. deployment.Metrics.Select(m => (JsonNode?)m)]),
                ["shuffle"] = deployment.Shuffle,
                ["earlyStopping"] = deployment.EarlyStoppingPatience is { } patience
                    ? new JsonObject { ["patience"] = patience, ["minDelta"] = deployment.EarlyStoppingMinDelta ?? 0 }
                    : null,
                ["validationRate"] = deployment.ValidationRate,
                ["testRate"] = deployment.TestRate,
                ["seed"] = deployment.Seed,
                ["trainingSeconds"] = result.TrainingSeconds,
            },
            ["metrics"] = new JsonObject
            {
                ["train"] = JsonSerializer.SerializeToNode(result.TrainMetrics, MetadataJson),
                ["validation"] = JsonSerializer.SerializeToNode(result.ValMetrics, MetadataJson),
                ["test"] = JsonSerializer.SerializeToNode(result.TestMetrics, MetadataJson),
            },
            ["confusionMatrix"] = JsonSerializer.SerializeToNode(result.ConfusionMatrix, MetadataJson),
            ["input"] = new JsonObject
            {
                ["topic"] = result.DataTopic,
                ["format"] = result.InputFormat,
                ["config"] = ResultInputResponse.ParseObject(result.InputConfig),
            },
            ["scaler"] = ResultInputResponse.ParseObject(result.Scaler),
            ["versions"] = new JsonObject
            {
                ["kafkaMl"] = AppVersion.Current,
                ["torchSharp"] = InformationalVersion(typeof(TorchSharp.torch).Assembly),
            },
        };
    }

    private static string? InformationalVersion(System.Reflection.Assembly assembly) =>
        assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString();

    private static async Task AddTextAsync(ZipArchive archive, string name, string text, CancellationToken cancellationToken)
    {
        await using var entry = archive.CreateEntry(name, CompressionLevel.Optimal).Open();
        await entry.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), cancellationToken);
    }

    private static async Task AddFileAsync(ZipArchive archive, string name, string path, CancellationToken cancellationToken)
    {
        await using var entry = archive.CreateEntry(name, CompressionLevel.Optimal).Open();
        await using var file = File.OpenRead(path);
        await file.CopyToAsync(entry, cancellationToken);
    }

    private static NotFound<ProblemDetails> ResultNotFound(int id) => Problems.NotFound($"Result {id} does not exist.");
}
