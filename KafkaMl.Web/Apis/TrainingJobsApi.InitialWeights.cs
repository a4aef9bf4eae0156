using KafkaMl.Core;
using KafkaMl.Core.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Apis;

// The starting weights of a deployment made with initialWeightsResultId (fine-tuning, issue 20): the job of each of its
// results fetches them once, after building its model and before training.
public static partial class TrainingJobsApi
{
    private static void MapInitialWeights(RouteGroupBuilder api) =>
        api.MapGet("/initial-weights", GetInitialWeights)
            .WithName("GetInitialWeightsForJob")
            .WithSummary("The weights (TorchSharp's file) of the result the deployment starts from (404 when it starts from the script's initialisation)");

    public static async Task<Results<PhysicalFileHttpResult, NotFound<ProblemDetails>>> GetInitialWeights(
        int resultId, KafkaMlDbContext db, IOptions<KafkaMlOptions> options, CancellationToken cancellationToken)
    {
        var initial = await db.TrainingResults.AsNoTracking().Where(r => r.Id == resultId)
            .Select(r => new { r.Deployment!.InitialWeightsResultId }).SingleOrDefaultAsync(cancellationToken);
        if (initial is null) return ResultNotFound(resultId);
        if (initial.InitialWeightsResultId is not { } sourceId) return Problems.NotFound($"The deployment of result {resultId} starts from no result's weights.");
        var path = await db.TrainingResults.AsNoTracking().Where(r => r.Id == sourceId && r.Status == TrainingStatus.Finished)
            .Select(r => r.WeightsPath).SingleOrDefaultAsync(cancellationToken);
        var full = path is null ? null : Path.Combine(options.Value.DataDirFullPath, path);
        return full is not null && File.Exists(full)
            ? TypedResults.PhysicalFile(full, "application/octet-stream", ResultFiles.Weights)
            : Problems.NotFound($"The weights of result {sourceId}, which the deployment of result {resultId} starts from, are gone (deleted since the deployment was made).");
    }
}
