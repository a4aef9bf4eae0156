using System.Text.Json.Nodes;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

// Which model version an inference serves: pinned by hand, or following its result's latest.
public sealed partial class InferenceService
{
    /// <summary>
    /// Pins inference <paramref name="id"/> to a version of its result (<c>3</c>: roll back or promote by hand) or has it
    /// follow the latest (<c>"latest"</c>); its replicas load the version and swap to it between batches. 400 for a
    /// version the result does not have or a value that is neither; 409 once the inference is stopped or failed.
    /// </summary>
    public async Task<Outcome<InferenceResponse>> SetVersionAsync(int id, JsonNode? version, CancellationToken cancellationToken = default)
    {
        if (!InferenceVersions.TryParse(version, missingIsLatest: false, out var pinned, out var problem)) return Outcome.Invalid("version", problem!);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            var current = await db.Inferences.AsNoTracking().Where(i => i.Id == id).Select(i => new { i.Status, i.ResultId }).SingleOrDefaultAsync(cancellationToken);
            if (current is null) return InferenceNotFound(id);
            if (current.Status is InferenceStatus.Stopped or InferenceStatus.Failed)
                return Outcome.Conflict($"Inference {id} is {current.Status.ToName()}; deploy the result again to serve another version.", "inferenceId", id);
            var versions = await InferenceVersions.NumbersAsync(db, current.ResultId, cancellationToken);
            if (InferenceVersions.Problem(pinned, current.ResultId, versions) is { } unknown) return Outcome.Invalid("version", unknown);
            await db.Inferences.Where(i => i.Id == id).ExecuteUpdateAsync(set => set.SetProperty(i => i.PinnedVersion, pinned), cancellationToken);
            await monitor.NotifyStatusAsync(id, current.Status);
        }
        return await GetAsync(id, cancellationToken);
    }

    /// <summary>The model versions result <paramref name="resultId"/> has published, oldest first (what an inference of it can pin).</summary>
    public async Task<IReadOnlyList<int>> VersionNumbersAsync(int resultId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await InferenceVersions.NumbersAsync(db, resultId, cancellationToken);
    }

    /// <summary>The inferences of <paramref name="query"/> with their model's name and the facts their wanted version comes from.</summary>
    private static IQueryable<InferenceRow> WithVersions(KafkaMlDbContext db, IQueryable<Inference> query) =>
        query.Select(i => new InferenceRow(
            i,
            i.Result!.Model!.Name,
            db.ModelVersions.Where(v => v.ResultId == i.ResultId).Max(v => (int?)v.Version),
            i.Result.WeightsPath != null));

    private sealed record InferenceRow(Inference Inference, string ModelName, int? LatestVersion, bool HasWeights)
    {
        public InferenceResponse Response(InferenceLiveStats stats) =>
            InferenceResponse.From(Inference, ModelName, stats, InferenceVersions.Wanted(Inference.PinnedVersion, LatestVersion, HasWeights));
    }
}
