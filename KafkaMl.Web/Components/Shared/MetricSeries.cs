using Plotly.Blazor;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace KafkaMl.Web.Components.Shared;

/// <summary>One line of a <see cref="MetricChart"/>: a metric's value per epoch.</summary>
public sealed record MetricSeries(string Name, IReadOnlyList<int> Epochs, IReadOnlyList<double> Values)
{
    public static IList<ITrace> ToTraces(IEnumerable<MetricSeries> series) =>
        series.Select(s => (ITrace)new Scatter
        {
            Name = s.Name,
            Mode = ModeFlag.Lines | ModeFlag.Markers,
            X = s.Epochs.Cast<object>().ToList(),
            Y = s.Values.Cast<object>().ToList(),
        }).ToList();
}
