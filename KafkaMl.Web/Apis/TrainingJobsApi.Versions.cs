using KafkaMl.Core;
using KafkaMl.Core.Control;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Data;
using KafkaMl.Web.Services;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Apis;

// Model versions as jobs publish them: an incremental job publishes 1, 2, ... while it trains (POST .../versions);
// a bounded job's result upload becomes version 1 with the result's own files.
public static partial class TrainingJobsApi
{
    public static async Task<Results<NoContent, ValidationProblem, NotFound<ProblemDetails>, Conflict<ProblemDetails>>> PublishVersion(
        int resultId,
        IFormCollection form,
        KafkaMlDbContext db,
        [FromServices] TrainingOrchestrator orchestrator,
        [FromServices] ResultsNotifier notifier,
        CancellationToken cancellationToken)
    {
        var current = await ReadAsync(db, resultId, cancellationToken);
        if (current is null) return ResultNotFound(resultId);
        if (current.Status.IsFinal()) return Final(resultId, current.Status);

        var errors = new ValidationErrors();
        var report = await ReadJsonPartAsync<ModelVersionReport>(form, TrainingJobRoutes.VersionPart, "the version report", errors, cancellationToken);
        var (weights, safetensors) = ReadWeightParts(form, errors);
        if (report is not null)
        {
            if (report.Version < 1) errors.Add($"{TrainingJobRoutes.VersionPart}.version", $"Versions are numbered from 1 ({report.Version} given).");
            if (report.SamplesSeen < 0) errors.Add($"{TrainingJobRoutes.VersionPart}.samplesSeen", $"The samples seen cannot be negative ({report.SamplesSeen} given).");
        }
        if (errors.Any) return errors.ToProblem();

        var version = report!.Version;
        var last = await db.ModelVersions.Where(v => v.ResultId == resultId).MaxAsync(v => (int?)v.Version, cancellationToken) ?? 0;
        // The same version again is a retry whose answer was lost: it is already stored.
        if (version <= last) return TypedResults.NoContent();
        if (version != last + 1)
        {
            return Problems.Validation($"{TrainingJobRoutes.VersionPart}.version",
                $"Version {version} does not follow the last published version ({last}); publish version {last + 1} next.");
        }

        var folder = ResultFiles.RelativeVersionFolder(resultId, version);
        var directory = Path.Combine(orchestrator.ResultDirectory(resultId), ResultFiles.VersionsFolder, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await SaveUploadAsync(directory, weights!, safetensors, report, ResultFiles.VersionReport, cancellationToken);

        db.ModelVersions.Add(new ModelVersion
        {
            ResultId = resultId,
            Version = version,
            PublishedAt = DateTimeOffset.UtcNow,
            SamplesSeen = report.SamplesSeen,
            WeightsPath = $"{folder}/{ResultFiles.Weights}",
            Scaler = report.Scaler?.ToJsonString(),
            TrainMetrics = new(report.TrainMetrics ?? new Dictionary<string, double>()),
            ValMetrics = new(report.ValMetrics ?? new Dictionary<string, double>()),
            TestMetrics = new(report.TestMetrics ?? new Dictionary<string, double>()),
            StreamOffsets = new(report.StreamOffsets ?? new Dictionary<string, long>()),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            return TypedResults.NoContent(); // the same version arrived twice at once: the other one stored it
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            return ResultNotFound(resultId);
        }

        // A version means data arrived; its announcement reloads the result page's versions.
        var status = await MarkTrainingAsync(db, notifier, resultId, current, cancellationToken);
        if (status == current.Status) await notifier.NotifyStatusAsync(resultId, current.DeploymentId, status);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<PublishedModelVersion>, NoContent, NotFound<ProblemDetails>>> GetLatestVersion(
        int resultId, KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.TrainingResults.AnyAsync(r => r.Id == resultId, cancellationToken)) return ResultNotFound(resultId);
        var latest = await db.ModelVersions.AsNoTracking().Where(v => v.ResultId == resultId).OrderByDescending(v => v.Version).FirstOrDefaultAsync(cancellationToken);
        if (latest is null) return TypedResults.NoContent();
        // A job reports a window before it publishes the version trained on it, so the window is the last one recorded by then.
        var window = await db.EpochMetrics.Where(e => e.ResultId == resultId && e.RecordedAt <= latest.PublishedAt).MaxAsync(e => (int?)e.Epoch, cancellationToken) ?? 0;
        return TypedResults.Ok(new PublishedModelVersion(latest.Version, latest.SamplesSeen, window, latest.TrainMetrics, latest.ValMetrics,
            string.IsNullOrWhiteSpace(latest.Scaler) ? null : System.Text.Json.Nodes.JsonNode.Parse(latest.Scaler) as System.Text.Json.Nodes.JsonObject,
            latest.StreamOffsets));
    }

    public static async Task<Results<PhysicalFileHttpResult, NotFound<ProblemDetails>>> GetVersionWeights(
        int resultId, int version, KafkaMlDbContext db, IOptions<KafkaMlOptions> options, CancellationToken cancellationToken)
    {
        var path = await db.ModelVersions.AsNoTracking().Where(v => v.ResultId == resultId && v.Version == version).Select(v => v.WeightsPath).SingleOrDefaultAsync(cancellationToken);
        if (path is null) return Problems.NotFound($"Result {resultId} has no version {version}.");
        var full = Path.Combine(options.Value.DataDirFullPath, path);
        return File.Exists(full)
            ? TypedResults.PhysicalFile(full, "application/octet-stream", ResultFiles.Weights)
            : Problems.NotFound($"The weights of version {version} of result {resultId} are missing from the data directory.");
    }

    /// <summary>
    /// Records version 1 of finished result <paramref name="resultId"/> from its own weights, scaler and metrics,
    /// unless it has a version already (an incremental result published its own). The samples seen are the bounded
    /// stream's messages (the control message's ranges).
    /// </summary>
    private static async Task RecordFirstVersionAsync(KafkaMlDbContext db, int resultId, CancellationToken cancellationToken)
    {
        if (await db.ModelVersions.AnyAsync(v => v.ResultId == resultId, cancellationToken)) return;
        var result = await db.TrainingResults.AsNoTracking().SingleOrDefaultAsync(r => r.Id == resultId, cancellationToken);
        if (result?.WeightsPath is null) return;

        db.ModelVersions.Add(new ModelVersion
        {
            ResultId = resultId,
            Version = 1,
            PublishedAt = result.StatusChanged,
            SamplesSeen = TopicRanges.TryParse(result.DataTopic, out var ranges, out _) ? TopicRanges.Total(ranges) : 0,
            WeightsPath = result.WeightsPath,
            Scaler = result.Scaler,
            TrainMetrics = result.TrainMetrics,
            ValMetrics = result.ValMetrics,
            TestMetrics = result.TestMetrics,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation() || exception.IsForeignKeyViolation())
        {
            db.ChangeTracker.Clear(); // recorded by a retry meanwhile, or the result was deleted
        }
    }
}
