using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

// A result's published model versions (1..n): the list and each version's model bundle.
public sealed partial class ResultService
{
    /// <summary>Result <paramref name="id"/>'s versions, version 1 first (empty until one is published).</summary>
    public async Task<Outcome<List<ModelVersionResponse>>> VersionsAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.TrainingResults.AnyAsync(r => r.Id == id, cancellationToken)) return ResultNotFound(id);
        var versions = await db.ModelVersions.AsNoTracking().Where(v => v.ResultId == id).OrderBy(v => v.Version).ToListAsync(cancellationToken);
        return Outcome.Ok(versions.Select(ModelVersionResponse.From).ToList());
    }

    /// <summary>
    /// Version <paramref name="version"/> of result <paramref name="id"/> as the same zip as <see cref="BundleAsync"/>,
    /// with that version's weights, scaler and metrics; available as soon as the version is published, whatever the
    /// result's status. Not found when the result, the version or its weights are missing.
    /// </summary>
    public async Task<Outcome<ModelBundle>> VersionBundleAsync(int id, int version, CancellationToken cancellationToken = default)
    {
        TrainingResult? result;
        ModelVersion? published;
        int[] numbers;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            result = await BundledResultAsync(db, id, cancellationToken);
            if (result is null) return ResultNotFound(id);
            numbers = await db.ModelVersions.Where(v => v.ResultId == id).OrderBy(v => v.Version).Select(v => v.Version).ToArrayAsync(cancellationToken);
            published = await db.ModelVersions.AsNoTracking().SingleOrDefaultAsync(v => v.ResultId == id && v.Version == version, cancellationToken);
        }
        if (published is null)
        {
            return Outcome.NotFound(numbers.Length == 0
                ? $"Result {id} has no published version yet."
                : $"Result {id} has no version {version}; its versions are {numbers[0]} to {numbers[^1]}.");
        }

        var weights = Path.Combine(options.Value.DataDirFullPath, published.WeightsPath);
        if (!File.Exists(weights)) return Outcome.NotFound($"The weights of version {version} of result {id} are missing from the data directory.");
        var contents = new BundleContents(weights, published.TrainMetrics, published.ValMetrics, published.TestMetrics, published.Scaler, published);
        return Outcome.Ok(await ZipAsync(result, contents, $"kafkaml-result-{id}-v{version}.zip", cancellationToken));
    }
}
