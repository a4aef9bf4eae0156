using KafkaMl.Core.Federated;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// A federated result's rounds instead of epochs: per round, the global model's metrics (the sample-weighted means the
/// coordinator reports, train and validation), the sites that answered (with the updates rejected beside them) and the
/// samples they trained on; then the sites that took part with their samples, last round and test samples. Draws what
/// it is given; <see cref="FederatedRoundsPanel"/> loads it and keeps it live.
/// </summary>
public sealed partial class FederatedRounds
{
    private static readonly HashSet<string> PerRound = new(StringComparer.Ordinal) { RoundMetrics.Sites, RoundMetrics.Samples, RoundMetrics.Rejected };

    /// <summary>The rounds as the result keeps them (one epoch per round, in order).</summary>
    [Parameter] public IReadOnlyList<EpochPoint> Rounds { get; set; } = [];

    /// <summary>The sites of this result; null while they load.</summary>
    [Parameter] public IReadOnlyList<KnownSite>? Sites { get; set; }

    /// <summary>Why the sites could not be read, if they could not.</summary>
    [Parameter] public string? SitesError { get; set; }

    private IReadOnlyList<EpochPoint>? charted;
    private IReadOnlyList<string> metrics = [];
    private Dictionary<string, IReadOnlyList<MetricSeries>> global = [];
    private IReadOnlyList<MetricSeries> sitesPerRound = [];
    private IReadOnlyList<MetricSeries> samplesPerRound = [];

    protected override void OnParametersSet()
    {
        if (ReferenceEquals(Rounds, charted)) return;
        charted = Rounds;
        metrics = MetricFormat.Ordered(Rounds.SelectMany(r => r.Validation.Keys.Concat(r.Train.Keys)).Where(m => !PerRound.Contains(m)));
        global = metrics.ToDictionary(m => m, m => (IReadOnlyList<MetricSeries>)[Line("train", m, r => r.Train), Line("validation", m, r => r.Validation)]);
        var rejected = Line("rejected updates", RoundMetrics.Rejected, r => r.Train) with { Bars = true };
        sitesPerRound = rejected.Values.Any(v => v > 0)
            ? [Line("sites", RoundMetrics.Sites, r => r.Train) with { Bars = true }, rejected]
            : [Line("sites", RoundMetrics.Sites, r => r.Train) with { Bars = true }];
        samplesPerRound = [Line("samples", RoundMetrics.Samples, r => r.Train) with { Bars = true }];
    }

    private MetricSeries Line(string name, string metric, Func<EpochPoint, IReadOnlyDictionary<string, double>> split)
    {
        var held = Rounds.Where(r => split(r).ContainsKey(metric)).ToList();
        return new MetricSeries(name, [.. held.Select(r => (long)r.Epoch)], [.. held.Select(r => split(r)[metric])]);
    }
}
