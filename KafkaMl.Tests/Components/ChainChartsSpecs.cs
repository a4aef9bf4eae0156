using Bunit;
using KafkaMl.Tests.Chains;
using KafkaMl.Web.Components.Pages.Results;
using KafkaMl.Web.Components.Shared;

namespace KafkaMl.Tests.Components;

/// <summary>A chain result on its page: each exit's metrics, the exit trade-off and the threshold suggested for the tolerance entered.</summary>
public sealed class ChainChartsSpecs : PortalComponentContext
{
    private IRenderedComponent<ChainCharts> RenderChain() =>
        Render<ChainCharts>(p => p.Add(c => c.Chain, ChainReports.AThreeExitReport()));

    private static MetricChart ChartTitled(IRenderedComponent<ChainCharts> charts, string title) =>
        charts.FindComponents<MetricChart>().Single(c => c.Instance.Title == title).Instance;

    [Fact]
    public void Each_exit_has_a_row_with_its_weight_and_test_accuracy()
    {
        var charts = RenderChain();

        var exit2 = charts.FindAll("[data-testid=chain-exits] tr[data-exit='2'] td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["exit 2", "0.25"], exit2[..2]);
        Assert.Contains("0.84", exit2);
        Assert.Equal(3, charts.FindComponents<ConfusionMatrixChart>().Count);
    }

    [Fact]
    public void The_trade_off_draws_the_share_at_each_exit_and_the_accuracy_per_threshold_in_percent()
    {
        var charts = RenderChain();

        var shares = ChartTitled(charts, "Share answered at each exit").Series;
        Assert.Equal(["exit 1", "exit 2", "exit 3 (final stage)"], shares.Select(s => s.Name));
        Assert.Equal(22, shares[0].Epochs.Count);
        Assert.Equal((0L, 105L), (shares[2].Epochs[0], shares[2].Epochs[^1]));
        Assert.Equal((0.0, 1.0), (shares[2].Values[0], shares[2].Values[^1]));
        var accuracy = ChartTitled(charts, "Overall accuracy").Series;
        Assert.Equal([0.93, 0.93], accuracy.Single(s => s.Baseline).Values.Select(v => Math.Round(v, 4)));
    }

    [Fact]
    public void A_wider_tolerance_suggests_a_lower_threshold()
    {
        var charts = RenderChain();
        Assert.Equal("0.75", charts.Find("[data-testid=chain-suggested]").GetAttribute("data-threshold"));

        charts.FindComponent<MudBlazor.MudNumericField<double>>().Find("input").Change("15");

        Assert.Equal("0.5", charts.Find("[data-testid=chain-suggested]").GetAttribute("data-threshold"));
        Assert.Equal([0.79, 0.79], ChartTitled(charts, "Overall accuracy").Series.Single(s => s.Baseline).Values.Select(v => Math.Round(v, 4)));
    }
}
