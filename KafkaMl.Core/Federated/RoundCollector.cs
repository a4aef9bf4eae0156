namespace KafkaMl.Core.Federated;

/// <summary>A site's update as the coordinator keeps it for aggregation.</summary>
public sealed record SiteUpdate(string Site, long Samples, WeightSet? Weights, TransferManifest Manifest);

/// <summary>
/// The updates of one open round: takes transfers off the updates topic, keeps one update per site (a repeat replaces
/// the earlier one), and rejects — counting, never aggregating — an update for another round (stale), one whose tensors
/// are not the model's, or one without samples. The same collects the sites' statistics (round 0) and their
/// evaluations of the final weights (after the last round).
/// </summary>
public sealed class RoundCollector(int round, string kind, WeightSet? expected)
{
    private readonly Dictionary<string, SiteUpdate> _updates = new(StringComparer.Ordinal);
    private readonly Dictionary<RejectionReason, int> _rejected = [];

    public int Round { get; } = round;

    /// <summary>The updates taken, by site.</summary>
    public IReadOnlyCollection<SiteUpdate> Updates => _updates.Values;

    /// <summary>Rejected transfers per reason.</summary>
    public IReadOnlyDictionary<RejectionReason, int> Rejected => _rejected;

    public int RejectedCount => _rejected.Values.Sum();

    /// <summary>Takes a transfer; returns the reason it was rejected, or null when it was taken.</summary>
    public string? Offer(ReceivedTransfer transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        var manifest = transfer.Manifest;
        if (manifest.Kind != kind) return null;
        if (manifest.Round != Round)
            return Reject(RejectionReason.Stale, $"{Who(manifest)} is for round {manifest.Round}, the open round is {Round}: dropped.");
        // An evaluation may count zero samples (a site without a test split answers all the same); nothing else may.
        var evaluation = kind == TransferKinds.Evaluation;
        if (string.IsNullOrWhiteSpace(manifest.Site) || manifest.Samples < 0 || (manifest.Samples == 0 && !evaluation))
            return Reject(RejectionReason.Invalid, $"{Who(manifest)} names no site or no samples.");
        if (expected is not null)
        {
            if (transfer.Weights is null) return Reject(RejectionReason.Invalid, $"{Who(manifest)} carries no weights.");
            if (transfer.Weights.Mismatch(expected) is { } problem) return Reject(RejectionReason.Tensors, $"{Who(manifest)}: {problem}");
        }
        else if (evaluation ? manifest.Samples > 0 && manifest.TestMetrics is not { Count: > 0 } : manifest.Statistics is null)
        {
            return Reject(RejectionReason.Invalid, $"{Who(manifest)} carries no {(evaluation ? "test metrics" : "statistics")}.");
        }
        _updates[manifest.Site] = new SiteUpdate(manifest.Site, manifest.Samples, transfer.Weights, manifest);
        return null;
    }

    /// <summary>Counts a transfer the assembler rejected (a failed checksum, a missing chunk).</summary>
    public string Reject(RejectionReason reason, string why)
    {
        _rejected[reason] = _rejected.GetValueOrDefault(reason) + 1;
        return $"rejected ({reason.ToString().ToLowerInvariant()}): {why}";
    }

    private static string Who(TransferManifest manifest) => $"the {manifest.Kind} of site '{manifest.Site}'";
}
