using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// Compares results (typically the models of one deployment): one chart per validation metric with one line per
/// result, and a table of their statuses and final test metrics. Listens to every result's changes and keeps only
/// those of its results: an epoch loads that result's new epochs and extends its line; a status change reloads the
/// table rows.
/// </summary>
public sealed partial class CompareView : IDisposable
{
    private readonly Dictionary<int, SortedDictionary<int, EpochPoint>> epochs = [];
    private IReadOnlyList<ResultSummary> results = [];
    private IReadOnlyList<string> testMetrics = [];
    private IReadOnlyList<string> metrics = [];
    private Dictionary<string, IReadOnlyList<MetricSeries>> series = [];
    private HashSet<int> shown = [];
    private IDisposable? subscription;
    private bool loaded;
    private bool disposed;
    private string? error;

    /// <summary>The results to compare.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<int> ResultIds { get; set; } = [];

    [Inject] private ResultService Views { get; set; } = default!;

    [Inject] private ResultsNotifier Notifier { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (loaded && shown.SetEquals(ResultIds)) return;
        shown = [.. ResultIds];
        subscription ??= Notifier.SubscribeAll(OnChangeAsync);
        loaded = false;
        error = await PageLoad.ErrorOfAsync(async () =>
        {
            var history = await Views.EpochsOfAsync(shown);
            epochs.Clear();
            foreach (var (id, points) in history)
                epochs[id] = new SortedDictionary<int, EpochPoint>(points.ToDictionary(p => p.Epoch));
            await LoadSummariesAsync();
        });
        loaded = true;
        Rebuild();
    }

    private Task OnChangeAsync(ResultChange change)
    {
        if (disposed || !shown.Contains(change.ResultId)) return Task.CompletedTask;
        return InvokeAsync(async () =>
        {
            try
            {
                if (change.Kind == ResultChangeKind.Epoch)
                {
                    var held = epochs.TryGetValue(change.ResultId, out var points) ? points : epochs[change.ResultId] = [];
                    var next = held.Count == 0 ? 1 : held.Keys.Max() + 1;
                    foreach (var point in await Views.EpochsAsync(change.ResultId, Math.Min(change.Epoch ?? next, next)))
                        held[point.Epoch] = point;
                }
                if (change.Kind == ResultChangeKind.Status || results.FirstOrDefault(r => r.Id == change.ResultId)?.Status != change.Status)
                    await LoadSummariesAsync();
                error = null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                error = e.Message;
            }
            Rebuild();
            StateHasChanged();
        });
    }

    private async Task LoadSummariesAsync()
    {
        results = await Views.SummariesAsync(shown);
        testMetrics = MetricFormat.Ordered(results.SelectMany(r => r.TestMetrics.Keys));
    }

    private void Rebuild()
    {
        metrics = MetricFormat.Ordered(epochs.Values.SelectMany(e => e.Values).SelectMany(p => p.Validation.Keys));
        series = metrics.ToDictionary(m => m, m => (IReadOnlyList<MetricSeries>)results.Select(r => Line(r, m)).ToList());
    }

    private MetricSeries Line(ResultSummary result, string metric)
    {
        var held = epochs.TryGetValue(result.Id, out var points)
            ? points.Values.Where(p => p.Validation.ContainsKey(metric)).ToList()
            : [];
        return new MetricSeries($"#{result.Id} {result.Model}", held.Select(p => (long)p.Epoch).ToList(), held.Select(p => p.Validation[metric]).ToList());
    }

    private string EpochsOf(int resultId) =>
        epochs.TryGetValue(resultId, out var points) && points.Count > 0 ? points.Keys.Max().ToString() : "0";

    /// <summary>The best value of a test metric among the results: the highest accuracy, the lowest of anything else.</summary>
    private bool IsBest(string metric, double value)
    {
        if (results.Count < 2) return false;
        var values = results.Where(r => r.TestMetrics.ContainsKey(metric)).Select(r => r.TestMetrics[metric]).ToList();
        return value == (metric == KafkaMl.Core.Training.MetricNames.Accuracy ? values.Max() : values.Min());
    }

    public void Dispose()
    {
        disposed = true;
        subscription?.Dispose();
    }
}
