using System.Globalization;
using KafkaMl.Core.Dashboards;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Services.Dashboards;
using Microsoft.AspNetCore.Components;
using Plotly.Blazor;

namespace KafkaMl.Web.Components.Pages.Dashboards;

/// <summary>
/// Watches a dashboard's topic through the <see cref="DashboardHub"/> (one reader for every viewer) and redraws on
/// each pushed snapshot; leaves when disposed, and watches again when the dashboard's topic or settings change.
/// </summary>
public sealed partial class DashboardView : IDisposable
{
    private static readonly int[] ReplayChoices = [1, 5, 15, 60];

    private DashboardSummary? summary;
    private IDisposable? viewing;
    private (DashboardSource, DashboardSettings)? watched;
    private int replayMinutes = 5;
    private IList<ITrace> bars = [];
    private IList<ITrace> timeline = [];
    private IList<ITrace> lines = [];
    private IList<ITrace> scores = [];
    private readonly Plotly.Blazor.Layout barsLayout = DashboardCharts.Layout("Classes over the window", "predictions", categories: true);
    private readonly Plotly.Blazor.Layout timelineLayout = DashboardCharts.Layout("Classes per second", "predictions", legend: true);
    private readonly Plotly.Blazor.Layout linesLayout = DashboardCharts.Layout("Latest predictions", legend: true);
    private Plotly.Blazor.Layout scoreLayout = DashboardCharts.Layout("Accuracy over time");

    [Parameter, EditorRequired] public DashboardResponse Dashboard { get; set; } = default!;

    [Inject] private DashboardHub Hub { get; set; } = default!;

    private DashboardType Type => EnumNames.Parse<DashboardType>(Dashboard.Type);

    private string ScoreName => Type == DashboardType.Classification ? "Accuracy" : "MAE";

    protected override void OnParametersSet()
    {
        var key = DashboardService.SourceOf(Dashboard);
        if (watched == key) return;
        viewing?.Dispose();
        watched = key;
        scoreLayout = DashboardCharts.Layout($"{ScoreName} over time");
        if (!RendererInfo.IsInteractive)
        {
            // Prerendering: the figures now, without a viewer (the page's circuit watches once it connects).
            Show(Hub.Summary(key.Source, key.Settings));
            return;
        }
        var (view, now) = Hub.Watch(key.Source, key.Settings, pushed => InvokeAsync(() =>
        {
            Show(pushed);
            StateHasChanged();
        }));
        viewing = view;
        Show(now);
    }

    private void Show(DashboardSummary next)
    {
        summary = next;
        if (Type == DashboardType.Classification)
        {
            bars = DashboardCharts.Bars(next, Dashboard.Labels);
            timeline = DashboardCharts.Timeline(next, Dashboard.Labels);
        }
        else
        {
            lines = DashboardCharts.Lines(next, Dashboard.Labels);
        }
        if (Dashboard.LabelTopic is not null) scores = DashboardCharts.Score(next, ScoreName);
    }

    private void Replay()
    {
        if (watched is { } key) Hub.Replay(key.Item1, key.Item2, replayMinutes);
    }

    private static string TileStyle(DashboardLabel? current) =>
        current is null ? "" : $"background: {current.Color}; color: {DashboardCharts.TextOn(current.Color)}";

    private static string Number(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "–";

    private static string Number(float? value) => Number((double?)value);

    public void Dispose() => viewing?.Dispose();
}
