using KafkaMl.Web.Apis;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// The live learning curves of one result. Loads its history once, then listens to the result's changes: on each
/// epoch it loads only the epochs from that one on, merges them into what it holds and passes new series to its
/// charts, which redraw in place. Nothing else of the page is reloaded. An incremental run's points (one per window)
/// are drawn over the samples seen, with a mark where each model version was published.
/// </summary>
public sealed partial class ResultCharts : IDisposable
{
    private readonly SortedDictionary<int, EpochPoint> points = [];
    private IReadOnlyList<ModelVersionResponse> versions = [];
    private IReadOnlyList<string> metrics = [];
    private Dictionary<string, IReadOnlyList<MetricSeries>> series = [];
    private IDisposable? subscription;
    private int? subscribedTo;
    private IReadOnlyList<string>? chartedExpected;
    private bool loaded;
    private bool disposed;
    private string? error;

    [Parameter, EditorRequired] public int ResultId { get; set; }

    /// <summary>Metrics to chart even before the first epoch arrives (the loss and the deployment's metrics).</summary>
    [Parameter] public IReadOnlyList<string> ExpectedMetrics { get; set; } = [];

    /// <summary>The deployment's epoch count, for the progress bar.</summary>
    [Parameter] public int PlannedEpochs { get; set; }

    [Inject] private ResultService Views { get; set; } = default!;

    [Inject] private ResultsNotifier Notifier { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (subscribedTo != ResultId)
        {
            subscription?.Dispose();
            points.Clear();
            loaded = false;
            subscribedTo = ResultId;
            subscription = Notifier.Subscribe(ResultId, OnChangeAsync);
            await LoadFromAsync(1);
            loaded = true;
            Rebuild();
        }
        else if (chartedExpected is null || !chartedExpected.SequenceEqual(ExpectedMetrics))
        {
            Rebuild();
        }
    }

    private Task OnChangeAsync(ResultChange change) =>
        change.Kind == ResultChangeKind.Epoch && !disposed
            ? InvokeAsync(async () =>
            {
                // From the announced epoch (a repeated report replaces a point) or the first one not held yet.
                var next = points.Count == 0 ? 1 : points.Keys.Max() + 1;
                await LoadFromAsync(Math.Min(change.Epoch ?? next, next));
                Rebuild();
                StateHasChanged();
            })
            : Task.CompletedTask;

    private async Task LoadFromAsync(int fromEpoch)
    {
        try
        {
            foreach (var point in await Views.EpochsAsync(ResultId, fromEpoch))
                points[point.Epoch] = point;
            if (Incremental) versions = (await Views.VersionsAsync(ResultId)).Value ?? [];
            error = null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = e.Message;
        }
    }

    private void Rebuild()
    {
        chartedExpected = ExpectedMetrics;
        metrics = MetricFormat.Ordered(ExpectedMetrics.Concat(points.Values.SelectMany(p => p.Train.Keys.Concat(p.Validation.Keys))));
        series = metrics.ToDictionary(m => m, m =>
        {
            IReadOnlyList<MetricSeries> lines = [Line("train", m, p => p.Train), Line("validation", m, p => p.Validation)];
            return Incremental && VersionMarks(lines) is { Epochs.Count: > 0 } marks ? [.. lines, marks] : lines;
        });
    }

    /// <summary>An incremental run reports the samples seen with every window: its x axis.</summary>
    private bool Incremental => points.Values.Any(p => p.Train.ContainsKey(SamplesSeen));

    private string XTitle => Incremental ? "samples seen" : "epoch";

    private const string SamplesSeen = KafkaMl.Core.Jobs.Training.WindowedTrainingLoop.SamplesSeenMetric;

    private long X(EpochPoint point) =>
        Incremental && point.Train.TryGetValue(SamplesSeen, out var seen) ? (long)seen : point.Epoch;

    private MetricSeries Line(string name, string metric, Func<EpochPoint, IReadOnlyDictionary<string, double>> split)
    {
        var held = points.Values.Where(p => split(p).ContainsKey(metric)).ToList();
        return new MetricSeries(name, held.Select(X).ToList(), held.Select(p => split(p)[metric]).ToList());
    }

    /// <summary>Where each version was published: on the validation line (else the train line) at its samples seen.</summary>
    private MetricSeries? VersionMarks(IReadOnlyList<MetricSeries> lines)
    {
        var line = lines.LastOrDefault(l => l.Epochs.Count > 0);
        if (line is null) return null;
        var xs = line.Epochs.ToList();
        var marked = versions.Select(v => xs.IndexOf(v.SamplesSeen)).Where(i => i >= 0).ToList();
        return new MetricSeries("version published", marked.Select(i => line.Epochs[i]).ToList(), marked.Select(i => line.Values[i]).ToList(), MarksOnly: true);
    }

    public void Dispose()
    {
        disposed = true;
        subscription?.Dispose();
    }
}
