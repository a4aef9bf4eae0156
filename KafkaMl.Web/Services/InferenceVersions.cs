using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KafkaMl.Web.Services;

/// <summary>A model version as a replica loads it: its number, its weights (relative to the data directory) and its scaler (JSON).</summary>
public sealed record ServableVersion(int Version, string WeightsPath, string? Scaler);

/// <summary>
/// Which model version of its result an inference serves: the pinned one (<see cref="Inference.PinnedVersion"/>), or
/// the result's latest when it follows (<c>"version": "latest"</c>, the default). A result without
/// <see cref="ModelVersion"/> rows but with trained weights (stored before model versions) has version 1: those weights.
/// </summary>
public static class InferenceVersions
{
    /// <summary>What an inference that follows its result says its version is.</summary>
    public const string Latest = "latest";

    /// <summary>
    /// Reads a requested version: <c>"latest"</c> (or, when <paramref name="missingIsLatest"/>, none) follows the result
    /// (null); a positive whole number pins that version; anything else is a problem for the <c>version</c> field.
    /// </summary>
    public static bool TryParse(JsonNode? node, bool missingIsLatest, out int? pinned, out string? problem)
    {
        pinned = null;
        problem = null;
        if (node is null)
        {
            if (missingIsLatest) return true;
            problem = $"Give the version to serve: a version number of the result, or \"{Latest}\" to follow its newest.";
            return false;
        }
        if (node is JsonValue value)
        {
            if (value.GetValueKind() == JsonValueKind.String && string.Equals(value.GetValue<string>().Trim(), Latest, StringComparison.OrdinalIgnoreCase))
                return true;
            if (value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number) && number >= 1)
            {
                pinned = number;
                return true;
            }
        }
        problem = $"The version is a positive whole number or \"{Latest}\" ({node.ToJsonString()} given).";
        return false;
    }

    /// <summary>The version as the API shows it: the pinned number, or <c>"latest"</c>.</summary>
    public static JsonNode Describe(int? pinned) => pinned is { } v ? JsonValue.Create(v) : JsonValue.Create(Latest);

    /// <summary>Why <paramref name="pinned"/> cannot be served from result <paramref name="resultId"/>, which has <paramref name="versions"/>; null when it can.</summary>
    public static string? Problem(int? pinned, int resultId, IReadOnlyList<int> versions)
    {
        if (pinned is not { } v || versions.Contains(v)) return null;
        return versions.Count == 0
            ? $"Result {resultId} has no published version yet."
            : $"Result {resultId} has no version {v.ToString(CultureInfo.InvariantCulture)}; its versions are {string.Join(", ", versions)}.";
    }

    /// <summary>The version wanted now: the pinned one, else the latest published, else 1 for a result with weights from before versions.</summary>
    public static int? Wanted(int? pinned, int? latest, bool hasWeights) => pinned ?? latest ?? (hasWeights ? 1 : null);

    /// <summary>Result <paramref name="resultId"/>'s version numbers, oldest first.</summary>
    public static async Task<IReadOnlyList<int>> NumbersAsync(KafkaMlDbContext db, int resultId, CancellationToken cancellationToken)
    {
        var numbers = await db.ModelVersions.Where(v => v.ResultId == resultId).OrderBy(v => v.Version).Select(v => v.Version).ToListAsync(cancellationToken);
        if (numbers.Count > 0) return numbers;
        var hasWeights = await db.TrainingResults.AnyAsync(r => r.Id == resultId && r.WeightsPath != null, cancellationToken);
        return hasWeights ? [1] : [];
    }

    /// <summary>
    /// Version <paramref name="version"/> of result <paramref name="resultId"/>, or — with no version given — the one
    /// <paramref name="pinned"/> names, else the latest; null when there is no such version.
    /// </summary>
    public static async Task<ServableVersion?> FindAsync(KafkaMlDbContext db, int resultId, int? pinned, int? version, CancellationToken cancellationToken)
    {
        var wanted = version ?? pinned;
        var rows = db.ModelVersions.AsNoTracking().Where(v => v.ResultId == resultId);
        var row = wanted is { } number
            ? await rows.Where(v => v.Version == number).Select(v => new ServableVersion(v.Version, v.WeightsPath, v.Scaler)).SingleOrDefaultAsync(cancellationToken)
            : await rows.OrderByDescending(v => v.Version).Select(v => new ServableVersion(v.Version, v.WeightsPath, v.Scaler)).FirstOrDefaultAsync(cancellationToken);
        if (row is not null || wanted is > 1) return row;
        if (await rows.AnyAsync(cancellationToken)) return null;
        // Before model versions: the result's own weights are version 1.
        return await db.TrainingResults.AsNoTracking().Where(r => r.Id == resultId && r.WeightsPath != null)
            .Select(r => new ServableVersion(1, r.WeightsPath!, r.Scaler)).SingleOrDefaultAsync(cancellationToken);
    }
}
