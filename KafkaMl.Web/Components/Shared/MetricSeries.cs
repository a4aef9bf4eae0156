using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace KafkaMl.Web.Components.Shared;

/// <summary>
/// One line of a <see cref="MetricChart"/>: a metric's value per epoch (or per samples seen, for an incremental run);
/// <paramref name="MarksOnly"/> draws points without a line (e.g. where model versions were published),
/// <paramref name="Bars"/> draws bars (e.g. the samples a self-training round added) and <paramref name="Baseline"/> a
/// dashed line without points (e.g. the supervised-only accuracy the rounds are compared with).
/// </summary>
public sealed record MetricSeries(
    string Name, IReadOnlyList<long> Epochs, IReadOnlyList<double> Values, bool MarksOnly = false, bool Bars = false, bool Baseline = false)
{
    public static IList<ITrace> ToTraces(IEnumerable<MetricSeries> series) =>
        series.Select(s => s.Bars
            ? new Bar { Name = s.Name, X = s.Epochs.Cast<object>().ToList(), Y = s.Values.Cast<object>().ToList() }
            : (ITrace)new Scatter
            {
                Name = s.Name,
                Mode = s.MarksOnly ? ModeFlag.Markers : s.Baseline ? ModeFlag.Lines : ModeFlag.Lines | ModeFlag.Markers,
                Marker = s.MarksOnly ? new Marker { Size = 12, Symbol = Plotly.Blazor.Traces.ScatterLib.MarkerLib.SymbolEnum.Star } : null,
                Line = s.Baseline ? new Line { Dash = "dash" } : null,
                X = s.Epochs.Cast<object>().ToList(),
                Y = s.Values.Cast<object>().ToList(),
            }).ToList();
}
