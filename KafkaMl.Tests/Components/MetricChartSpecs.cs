using Bunit;
using KafkaMl.Web.Components.Shared;

namespace KafkaMl.Tests.Components;

public sealed class MetricChartSpecs : PortalComponentContext
{
    [Fact]
    public void New_series_redraw_the_chart_in_place_with_the_new_points()
    {
        var chart = Render<MetricChart>(p => p
            .Add(c => c.Title, "Loss")
            .Add(c => c.Series, [new MetricSeries("train", [1], [0.7]), new MetricSeries("validation", [1], [0.8])]));

        chart.Render(p => p.Add(c => c.Series, [new MetricSeries("train", [1, 2], [0.7, 0.4]), new MetricSeries("validation", [1, 2], [0.8, 0.5])]));

        Assert.Equal("4", chart.Find("[data-testid=metric-chart]").GetAttribute("data-points"));
        Assert.Single(JSInterop.Invocations, i => i.Identifier == "newPlot");
        var react = Assert.Single(JSInterop.Invocations, i => i.Identifier == "react");
        using var traces = JsonDocument.Parse(JsonSerializer.Serialize(react.Arguments[1]));
        Assert.Equal([[1, 2], [1, 2]], traces.RootElement.EnumerateArray().Select(t => t.GetProperty("x").EnumerateArray().Select(x => x.GetInt32()).ToArray()));
        Assert.Equal([0.7, 0.4], traces.RootElement[0].GetProperty("y").EnumerateArray().Select(y => y.GetDouble()));
    }

    [Fact]
    public void Rendering_again_with_the_same_series_draws_nothing_more()
    {
        var chart = Render<MetricChart>(p => p
            .Add(c => c.Title, "Loss")
            .Add(c => c.Series, [new MetricSeries("train", [1], [0.7])]));

        chart.Render(p => p.Add(c => c.Title, "Loss"));

        Assert.Single(JSInterop.Invocations, i => i.Identifier == "newPlot");
        Assert.DoesNotContain(JSInterop.Invocations, i => i.Identifier == "react");
    }
}
