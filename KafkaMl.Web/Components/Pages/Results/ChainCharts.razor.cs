using System.Globalization;
using KafkaMl.Core.Chains;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// A chain result's exits and its exit trade-off: per threshold, the share of test samples answered at each exit and
/// the overall accuracy (x in percent of top-class probability, 105 standing for "above 1": the final stage answers
/// everything), a dashed line at the final exit's accuracy less the tolerance, and the lowest threshold within it
/// (<see cref="ExitTradeOff.Suggest"/>) for the tolerance the user enters. Renders nothing for a plain model.
/// </summary>
public sealed partial class ChainCharts
{
    private const string XTitle = "threshold (% top-class probability; 105 = above 1)";

    [Parameter] public ChainResultReport? Chain { get; set; }

    private ChainResultReport? charted;
    private IReadOnlyList<string> testMetrics = [];
    private IReadOnlyList<string> trainMetrics = [];
    private IReadOnlyList<MetricSeries> shares = [];
    private IReadOnlyList<MetricSeries> accuracy = [];
    private double tolerancePoints;
    private double? suggested;

    protected override void OnParametersSet()
    {
        if (ReferenceEquals(Chain, charted)) return;
        charted = Chain;
        if (Chain is null) return;
        testMetrics = MetricFormat.Ordered(Chain.Exits.SelectMany(e => e.TestMetrics.Keys));
        trainMetrics = MetricFormat.Ordered(Chain.Exits.SelectMany(e => e.TrainMetrics.Keys.Concat(e.ValMetrics.Keys)));
        var rows = Chain.TradeOff ?? [];
        var xs = rows.Select(r => Percent(r.Threshold)).ToList();
        shares = [.. Enumerable.Range(0, Chain.Exits.Count).Select(k => new MetricSeries(ExitName(k + 1), xs, [.. rows.Select(r => r.Shares[k])]))];
        tolerancePoints = Math.Round(Chain.Tolerance * 100, 2);
        Suggest();
    }

    private void ToleranceChanged(double points)
    {
        tolerancePoints = Math.Clamp(points, 0, 100);
        Suggest();
    }

    /// <summary>The suggestion and the accuracy chart's tolerance line for the tolerance entered.</summary>
    private void Suggest()
    {
        var rows = Chain?.TradeOff ?? [];
        if (rows.Count == 0) return;
        var tolerance = tolerancePoints / 100;
        suggested = ExitTradeOff.Suggest(rows, tolerance);
        var xs = rows.Select(r => Percent(r.Threshold)).ToList();
        var floor = rows[^1].Accuracy - tolerance;
        accuracy =
        [
            new MetricSeries("accuracy", xs, [.. rows.Select(r => r.Accuracy)]),
            new MetricSeries($"final exit − {tolerancePoints.ToString("0.##", CultureInfo.InvariantCulture)} points", [xs[0], xs[^1]], [floor, floor], Baseline: true),
        ];
        if (suggested is { } threshold)
            accuracy = [.. accuracy, new MetricSeries("suggested", [Percent(threshold)], [rows.First(r => r.Threshold == threshold).Accuracy], MarksOnly: true)];
    }

    private string ExitName(int exit) => exit == Chain?.Exits.Count ? $"exit {exit} (final stage)" : $"exit {exit}";

    private static long Percent(double threshold) => (long)Math.Round(threshold * 100);

    private static string Cell(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var value) ? MetricFormat.Value(value) : "–";

    private static string SuggestedShares(IReadOnlyList<ExitTradeOffRow> rows, double threshold)
    {
        var row = rows.First(r => r.Threshold == threshold);
        var parts = row.Shares.Select((s, k) => $"{(s * 100).ToString("0.#", CultureInfo.InvariantCulture)}% at exit {k + 1}");
        return $"{string.Join(", ", parts)}; accuracy {(row.Accuracy * 100).ToString("0.#", CultureInfo.InvariantCulture)}%";
    }
}
