using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace KafkaMl.Web.Components.Shared;

/// <summary>
/// One line of a <see cref="MetricChart"/>: a metric's value per epoch (or per samples seen, for an incremental run);
/// <paramref name="MarksOnly"/> draws points without a line (e.g. where model versions were published).
/// </summary>
public sealed record MetricSeries(string Name, IReadOnlyList<long> Epochs, IReadOnlyList<double> Values, bool MarksOnly = false)
{
    public static IList<ITrace> ToTraces(IEnumerable<MetricSeries> series) =>
        series.Select(s => (ITrace)new Scatter
        {
            Name = s.Name,
            Mode = s.MarksOnly ? ModeFlag.Markers : ModeFlag.Lines | ModeFlag.Markers,
            Marker = s.MarksOnly ? new Marker { Size = 12, Symbol = Plotly.Blazor.Traces.ScatterLib.MarkerLib.SymbolEnum.Star } : null,
            X = s.Epochs.Cast<object>().ToList(),
            Y = s.Values.Cast<object>().ToList(),
        }).ToList();
}
