using System.Globalization;
using KafkaMl.Core.Training;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// A semi-supervised result's self-training: the pseudo-labels each round added (bars), the test metric after each
/// round beside the supervised-only baseline of round 0 (a dashed horizontal line), and a table of every round. A
/// bounded run has one point per round; an incremental run one per unlabelled window (its rounds' additions summed,
/// the metric after its last round), compared with the first window's round 0. Renders nothing without rounds.
/// </summary>
public sealed partial class SelfTrainingCharts
{
    /// <summary>The rounds by window then round, as the result keeps them.</summary>
    [Parameter] public IReadOnlyList<SelfTrainingRound> Rounds { get; set; } = [];

    private IReadOnlyList<SelfTrainingRound>? charted;
    private IReadOnlyList<MetricSeries> added = [];
    private IReadOnlyList<MetricSeries> tested = [];
    private IReadOnlyList<string> testMetrics = [];
    private string metric = MetricNames.Accuracy;

    /// <summary>An incremental run: its rounds carry the unlabelled window they trained on.</summary>
    private bool ByWindow => Rounds.Any(r => r.Window is not null);

    private string XTitle => ByWindow ? "unlabelled window" : "round";

    protected override void OnParametersSet()
    {
        // The page passes the rounds again only when it reloads (on a status change); the charts redraw then.
        if (ReferenceEquals(Rounds, charted)) return;
        charted = Rounds;
        testMetrics = MetricFormat.Ordered(Rounds.SelectMany(r => r.TestMetrics.Keys));
        metric = testMetrics.Contains(MetricNames.Accuracy) ? MetricNames.Accuracy : testMetrics.FirstOrDefault() ?? MetricNames.Accuracy;

        var points = ByWindow
            ? Rounds.GroupBy(r => r.Window ?? 0).Select(w => (X: (long)w.Key, Added: w.Sum(r => (double)r.Added), Last: w.MaxBy(r => r.Round)!)).ToList()
            : Rounds.Select(r => (X: (long)r.Round, Added: (double)r.Added, Last: r)).ToList();
        added = [new MetricSeries("pseudo-labels added", [.. points.Select(p => p.X)], [.. points.Select(p => p.Added)], Bars: true)];

        var measured = points.Where(p => p.Last.TestMetrics.ContainsKey(metric)).ToList();
        var after = new MetricSeries(ByWindow ? "after the window's last round" : "after the round",
            [.. measured.Select(p => p.X)], [.. measured.Select(p => p.Last.TestMetrics[metric])]);
        tested = Baseline(points.Select(p => p.X).ToList()) is { } baseline ? [after, baseline] : [after];
    }

    /// <summary>The supervised-only metric (the first round 0) across every x; null when round 0 has no such metric.</summary>
    private MetricSeries? Baseline(IReadOnlyList<long> xs)
    {
        if (xs.Count == 0 || Rounds.FirstOrDefault(r => r.Round == 0) is not { } supervised
            || !supervised.TestMetrics.TryGetValue(metric, out var value)) return null;
        return new MetricSeries("supervised only (round 0)", [xs.Min(), xs.Max()], [value, value], Baseline: true);
    }

    private static string ClassCounts(SelfTrainingRound round) => round.ClassCounts.Count == 0
        ? "–"
        : string.Join(", ", round.ClassCounts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value.ToString(CultureInfo.InvariantCulture)}"));
}
