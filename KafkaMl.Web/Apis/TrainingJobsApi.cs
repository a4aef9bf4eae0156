using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Jobs;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace KafkaMl.Web.Apis;

/// <summary>
/// What training jobs (the <c>train</c> verb) report, under <see cref="TrainingJobRoutes"/>: the job fetches its spec,
/// then reports its status, each epoch, the model versions it publishes while it trains (incremental training), its
/// self-training rounds (semi-supervised training) and finally its result with the weights. Every request carries the job's
/// token (<see cref="JobEnvironment.TokenHeader"/>), valid for its own result only: 401 without one, 403 with
/// another result's. A report on a result that is already finished, failed or stopped answers 409 so the job exits.
/// </summary>
public static partial class TrainingJobsApi
{
    /// <summary>Largest result upload (weights of big models included).</summary>
    public const long MaxUploadBytes = 2L << 30;

    /// <summary>How jobs' JSON is read: the API's camelCase, plus NaN/Infinity metrics of a diverged loss.</summary>
    internal static readonly JsonSerializerOptions ReportJson = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals | JsonNumberHandling.AllowReadingFromString,
        WriteIndented = true,
    };

    public static RouteGroupBuilder MapTrainingJobsApi(this IEndpointRouteBuilder app)
    {
        // The routes of TrainingJobRoutes.Spec/Status/Epochs/Result.
        var api = JobTokenFilter.MapGroup(app, JobScope.Training, "resultId", "Training jobs");

        api.MapGet("/", GetSpec)
            .WithName("GetTrainingJobSpec")
            .WithSummary("The training job's spec: model script, deployment settings, seed");
        api.MapPost("/status", ReportStatus)
            .WithName("ReportTrainingStatus")
            .WithSummary("The job reports deployed (waiting for data), training (with the stream it found) or failed");
        api.MapPost("/epochs", ReportEpoch)
            .WithName("ReportTrainingEpoch")
            .WithSummary("The job reports one epoch's train and validation metrics (a repeated epoch replaces the earlier report)");
        api.MapPost("/result", UploadResult)
            .WithName("UploadTrainingResult")
            .WithSummary("The job uploads its final metrics and trained weights (multipart: report, weights, safetensors)")
            .DisableAntiforgery()
            .WithFormOptions(multipartBodyLengthLimit: MaxUploadBytes)
            .WithMetadata(new RequestSizeLimitAttribute(MaxUploadBytes));

        api.MapPost("/versions", PublishVersion)
            .WithName("PublishModelVersion")
            .WithSummary("The job publishes a model version while it trains (multipart: version, weights, safetensors)")
            .DisableAntiforgery()
            .WithFormOptions(multipartBodyLengthLimit: MaxUploadBytes)
            .WithMetadata(new RequestSizeLimitAttribute(MaxUploadBytes));

        api.MapPost("/self-training", ReportSelfTrainingRound)
            .WithName("ReportSelfTrainingRound")
            .WithSummary("The job reports one self-training round of a semi-supervised run (a repeated round and window replaces the earlier report)");

        api.MapGet("/versions/latest", GetLatestVersion)
            .WithName("GetLatestModelVersionForJob")
            .WithSummary("The last model version the result published (204 when none): what a job started again resumes from");
        api.MapGet("/versions/{version:int}/weights", GetVersionWeights)
            .WithName("GetModelVersionWeightsForJob")
            .WithSummary("The weights (TorchSharp's file) of one published version, for a job that resumes from it");
        MapInitialWeights(api);

        return api;
    }

    public static async Task<Results<Ok<TrainingJobSpec>, NotFound<ProblemDetails>>> GetSpec(
        int resultId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var result = await db.TrainingResults.AsNoTracking()
            .Include(r => r.Deployment)
            .Include(r => r.Model)
            .SingleOrDefaultAsync(r => r.Id == resultId, cancellationToken);
        if (result is null) return ResultNotFound(resultId);

        var deployment = result.Deployment!;
        return TypedResults.Ok(new TrainingJobSpec(
            result.Id,
            result.DeploymentId,
            result.ModelId,
            result.Model?.Name ?? "",
            result.ModelCode is { Length: > 0 } code ? code : result.Model?.Code ?? "",
            deployment.BatchSize,
            deployment.Epochs,
            deployment.LearningRate,
            deployment.Optimizer.ToName(),
            deployment.Loss.ToName(),
            deployment.Metrics,
            deployment.Shuffle,
            deployment.EarlyStoppingPatience,
            deployment.EarlyStoppingMinDelta,
            deployment.ValidationRate,
            deployment.TestRate,
            deployment.Seed,
            deployment.Incremental,
            deployment.SemiSupervised,
            deployment.Federated,
            deployment.InitialWeightsResultId));
    }

    public static async Task<Results<NoContent, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> ReportStatus(
        int resultId, TrainingStatusReport report, KafkaMlDbContext db, [FromServices] ResultsNotifier notifier, CancellationToken cancellationToken)
    {
        if (!EnumNames.TryParse<TrainingStatus>(report.Status, out var status)
            || status is not (TrainingStatus.Deployed or TrainingStatus.Training or TrainingStatus.Failed))
        {
            return Problems.Validation("status", $"A job reports 'deployed', 'training' or 'failed' ('{report.Status}' given); the result is finished by uploading it.");
        }
        if (report.Data is { } reported && (string.IsNullOrWhiteSpace(reported.Topic) || string.IsNullOrWhiteSpace(reported.InputFormat)))
            return Problems.Validation("data", "The data report needs the topic ranges and the input format.");

        var current = await ReadAsync(db, resultId, cancellationToken);
        if (current is null) return ResultNotFound(resultId);
        if (current.Status.IsFinal()) return Final(resultId, current.Status);

        var data = report.Data;
        if (status == current.Status && status != TrainingStatus.Failed)
        {
            // The same status again (a retried report): keep when it changed; record the data if it came now.
            if (data is not null)
            {
                await db.TrainingResults.Where(r => r.Id == resultId).WhereStatusIn(TrainingStatusExtensions.Transitions.NotFinal)
                    .ExecuteUpdateAsync(set => SetData(set, data), cancellationToken);
            }
            return TypedResults.NoContent();
        }
        var moved = await db.TrainingResults.TryMoveAsync(resultId, status, set =>
        {
            if (status == TrainingStatus.Failed)
                set.SetProperty(r => r.Error, string.IsNullOrWhiteSpace(report.Error) ? "The training job failed without saying why." : report.Error.Trim());
            if (data is not null) SetData(set, data);
        }, cancellationToken);
        if (!moved)
        {
            var now = await db.TrainingResults.AsNoTracking().Where(r => r.Id == resultId).Select(r => (TrainingStatus?)r.Status).SingleOrDefaultAsync(cancellationToken);
            return now is { } final ? Final(resultId, final) : ResultNotFound(resultId);
        }
        if (current.Status != status) await notifier.NotifyStatusAsync(resultId, current.DeploymentId, status);
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> ReportEpoch(
        int resultId, EpochReportDto report, KafkaMlDbContext db, [FromServices] ResultsNotifier notifier, CancellationToken cancellationToken)
    {
        if (report.Epoch < 1) return Problems.Validation("epoch", $"Epochs are numbered from 1 ({report.Epoch} given).");

        var current = await ReadAsync(db, resultId, cancellationToken);
        if (current is null) return ResultNotFound(resultId);
        if (current.Status.IsFinal()) return Final(resultId, current.Status);

        var train = new Dictionary<string, double>(report.Train ?? new Dictionary<string, double>());
        var validation = new Dictionary<string, double>(report.Validation ?? new Dictionary<string, double>());
        for (var attempt = 0; ; attempt++)
        {
            // One row per (result, epoch): a retried report replaces the earlier one instead of duplicating it.
            var existing = await db.EpochMetrics.SingleOrDefaultAsync(e => e.ResultId == resultId && e.Epoch == report.Epoch, cancellationToken);
            if (existing is null)
                db.EpochMetrics.Add(existing = new EpochMetric { ResultId = resultId, Epoch = report.Epoch });
            existing.TrainMetrics = train;
            existing.ValMetrics = validation;
            existing.RecordedAt = DateTimeOffset.UtcNow;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                break;
            }
            catch (DbUpdateException exception) when (exception.IsUniqueViolation() && attempt == 0)
            {
                db.ChangeTracker.Clear(); // the same epoch arrived twice at once: update the row the other one wrote
            }
            catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
            {
                return ResultNotFound(resultId);
            }
        }

        // An epoch means data arrived, whatever the job said before.
        var status = await MarkTrainingAsync(db, notifier, resultId, current, cancellationToken);
        await notifier.NotifyEpochAsync(resultId, current.DeploymentId, status, report.Epoch);
        return TypedResults.NoContent();
    }

    /// <summary>Moves a created or deployed result to training (data arrived) and announces it; answers the status it has now.</summary>
    private static async Task<TrainingStatus> MarkTrainingAsync(
        KafkaMlDbContext db, ResultsNotifier notifier, int resultId, ResultState current, CancellationToken cancellationToken)
    {
        if (current.Status is not (TrainingStatus.Created or TrainingStatus.Deployed)
            || !await db.TrainingResults.TryMoveAsync(resultId, [TrainingStatus.Created, TrainingStatus.Deployed], TrainingStatus.Training, null, cancellationToken))
            return current.Status;
        await notifier.NotifyStatusAsync(resultId, current.DeploymentId, TrainingStatus.Training);
        return TrainingStatus.Training;
    }

    public static async Task<Results<NoContent, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> UploadResult(
        int resultId,
        IFormCollection form,
        KafkaMlDbContext db,
        [FromServices] TrainingOrchestrator orchestrator,
        [FromServices] ResultsNotifier notifier,
        CancellationToken cancellationToken)
    {
        var current = await ReadAsync(db, resultId, cancellationToken);
        if (current is null) return ResultNotFound(resultId);
        // A retried upload of a result already stored is done, not a conflict (its version 1 is made sure of).
        if (current.Status == TrainingStatus.Finished)
        {
            await RecordFirstVersionAsync(db, resultId, cancellationToken);
            return TypedResults.NoContent();
        }
        if (current.Status.IsFinal()) return Final(resultId, current.Status);

        var errors = new ValidationErrors();
        var report = await ReadReportAsync(form, errors, cancellationToken);
        var (weights, safetensors) = ReadWeightParts(form, errors);
        if (errors.Any) return errors.ToProblem();

        await SaveUploadAsync(orchestrator.ResultDirectory(resultId), weights!, safetensors, report, ResultFiles.Report, cancellationToken);

        var r = report!;
        var trainMetrics = new Dictionary<string, double>(r.TrainMetrics ?? new Dictionary<string, double>());
        var valMetrics = new Dictionary<string, double>(r.ValMetrics ?? new Dictionary<string, double>());
        var testMetrics = new Dictionary<string, double>(r.TestMetrics ?? new Dictionary<string, double>());
        var scaler = r.Scaler?.ToJsonString();
        var weightsPath = TrainingOrchestrator.RelativeWeightsPath(resultId);
        if (!await db.TrainingResults.TryMoveAsync(resultId, TrainingStatus.Finished, set =>
            {
                set.SetProperty(x => x.TrainMetrics, trainMetrics);
                set.SetProperty(x => x.ValMetrics, valMetrics);
                set.SetProperty(x => x.TestMetrics, testMetrics);
                set.SetProperty(x => x.ConfusionMatrix, r.ConfusionMatrix);
                set.SetProperty(x => x.TrainingSeconds, r.TrainingSeconds);
                set.SetProperty(x => x.Scaler, scaler);
                set.SetProperty(x => x.Chain, r.Chain);
                set.SetProperty(x => x.WeightsPath, weightsPath);
                set.SetProperty(x => x.Error, (string?)null);
            }, cancellationToken))
        {
            // Stopped (or deleted) while the upload was on its way.
            var now = await db.TrainingResults.AsNoTracking().Where(x => x.Id == resultId).Select(x => (TrainingStatus?)x.Status).SingleOrDefaultAsync(cancellationToken);
            if (now == TrainingStatus.Finished) return TypedResults.NoContent();
            orchestrator.DeleteResultFiles(resultId);
            return now is { } final ? Final(resultId, final) : ResultNotFound(resultId);
        }
        await RecordFirstVersionAsync(db, resultId, cancellationToken);
        await notifier.NotifyStatusAsync(resultId, current.DeploymentId, TrainingStatus.Finished);
        return TypedResults.NoContent();
    }

    /// <summary>The <c>report</c> part, checked; null (with the reason in <paramref name="errors"/>) when unusable.</summary>
    private static async Task<TrainingResultReport?> ReadReportAsync(IFormCollection form, ValidationErrors errors, CancellationToken cancellationToken)
    {
        const string Part = TrainingJobRoutes.ReportPart;
        var report = await ReadJsonPartAsync<TrainingResultReport>(form, Part, "the result report", errors, cancellationToken);
        if (report is null) return null;
        if (!double.IsFinite(report.TrainingSeconds) || report.TrainingSeconds < 0)
            errors.Add($"{Part}.trainingSeconds", "The training time must be 0 seconds or more.");
        if (report.ConfusionMatrix is { } matrix
            && (matrix.Any(row => row is null || row.Length != matrix.Length) || matrix.Any(row => row.Any(count => count < 0))))
            errors.Add($"{Part}.confusionMatrix", "The confusion matrix must be square (one row and one column per class) with counts of 0 or more.");
        if (report.Chain is { } chain && ChainReportProblem(chain) is { } problem)
            errors.Add($"{Part}.chain", problem);
        return report;
    }

    /// <summary>A JSON part of a job's upload, as a form field or as a file; null (with the reason in <paramref name="errors"/>) when unusable.</summary>
    private static async Task<T?> ReadJsonPartAsync<T>(IFormCollection form, string part, string what, ValidationErrors errors, CancellationToken cancellationToken)
        where T : class
    {
        T? value = null;
        try
        {
            if (form.TryGetValue(part, out var field) && !string.IsNullOrWhiteSpace(field.ToString()))
                value = JsonSerializer.Deserialize<T>(field.ToString(), ReportJson);
            else if (form.Files.GetFile(part) is { Length: > 0 } file)
            {
                await using var stream = file.OpenReadStream();
                value = await JsonSerializer.DeserializeAsync<T>(stream, ReportJson, cancellationToken);
            }
        }
        catch (JsonException e)
        {
            errors.Add(part, $"The '{part}' part is not valid JSON of the expected shape: {e.Message}");
            return null;
        }
        if (value is null) errors.Add(part, $"The '{part}' part must hold {what} as JSON.");
        return value;
    }

    /// <summary>The weight files of a job's upload; adds an error when the weights are missing or a file is empty.</summary>
    private static (IFormFile? Weights, IFormFile? Safetensors) ReadWeightParts(IFormCollection form, ValidationErrors errors)
    {
        var weights = form.Files.GetFile(TrainingJobRoutes.WeightsPart);
        if (weights is null || weights.Length == 0)
            errors.Add(TrainingJobRoutes.WeightsPart, $"The '{TrainingJobRoutes.WeightsPart}' part must hold the trained weights.");
        var safetensors = form.Files.GetFile(TrainingJobRoutes.SafetensorsPart);
        if (safetensors is { Length: 0 }) errors.Add(TrainingJobRoutes.SafetensorsPart, "The safetensors part is empty.");
        return (weights, safetensors);
    }

    /// <summary>Stores the weight files and the job's JSON report in <paramref name="directory"/>.</summary>
    private static async Task SaveUploadAsync<T>(string directory, IFormFile weights, IFormFile? safetensors, T report, string reportFile, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await SaveAsync(weights.OpenReadStream(), Path.Combine(directory, ResultFiles.Weights), cancellationToken);
        if (safetensors is not null)
            await SaveAsync(safetensors.OpenReadStream(), Path.Combine(directory, ResultFiles.Safetensors), cancellationToken);
        await SaveAsync(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(report, ReportJson)), Path.Combine(directory, reportFile), cancellationToken);
    }

    /// <summary>Writes beside the target, then moves over it: a reader never sees half a file.</summary>
    private static async Task SaveAsync(Stream source, string path, CancellationToken cancellationToken)
    {
        var partial = path + ".partial-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture);
        try
        {
            await using (source)
            await using (var target = File.Create(partial))
            {
                await source.CopyToAsync(target, cancellationToken);
            }
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    /// <summary>The result's status and deployment, or null when it does not exist.</summary>
    private static Task<ResultState?> ReadAsync(KafkaMlDbContext db, int resultId, CancellationToken cancellationToken) =>
        db.TrainingResults.AsNoTracking()
            .Where(r => r.Id == resultId)
            .Select(r => new ResultState(r.Status, r.DeploymentId))
            .SingleOrDefaultAsync(cancellationToken);

    /// <summary>Records the data stream a job reported it trains on.</summary>
    private static void SetData(UpdateSettersBuilder<TrainingResult> set, TrainingDataReport data)
    {
        set.SetProperty(r => r.DataTopic, data.Topic.Trim());
        set.SetProperty(r => r.InputFormat, data.InputFormat.Trim().ToUpperInvariant());
        set.SetProperty(r => r.InputConfig, data.InputConfig?.ToJsonString() ?? "{}");
    }

    private sealed record ResultState(TrainingStatus Status, int DeploymentId);

    private static Conflict<ProblemDetails> Final(int resultId, TrainingStatus status) =>
        Problems.Conflict($"Result {resultId} is already {status.ToName()}; the job should stop.", "status", status.ToName());

    private static NotFound<ProblemDetails> ResultNotFound(int resultId) => Problems.NotFound($"Result {resultId} does not exist.");
}
