using Bunit;
using KafkaMl.Web.Components.Pages.Results;
using KafkaMl.Web.Components.Shared;

namespace KafkaMl.Tests.Components;

/// <summary>A semi-supervised result's rounds on its page: samples added as bars, the test metric beside the round 0 baseline, a table.</summary>
public sealed class SelfTrainingChartsSpecs : PortalComponentContext
{
    private static SelfTrainingRound ARound(int round, int added, double accuracy, int? window = null) => new(
        round,
        added,
        round == 0 ? [] : new Dictionary<string, int> { ["1"] = added - added / 2, ["0"] = added / 2 },
        0.9,
        new Dictionary<string, double> { ["loss"] = 1 - accuracy, ["accuracy"] = accuracy },
        PoolLeft: 1000,
        window);

    private IRenderedComponent<SelfTrainingCharts> RenderRounds(params SelfTrainingRound[] rounds) =>
        Render<SelfTrainingCharts>(p => p.Add(c => c.Rounds, rounds));

    private static MetricChart ChartTitled(IRenderedComponent<SelfTrainingCharts> charts, string title) =>
        charts.FindComponents<MetricChart>().Single(c => c.Instance.Title == title).Instance;

    [Fact]
    public void The_samples_added_per_round_are_bars_and_the_test_accuracy_is_drawn_beside_the_round_0_baseline()
    {
        var charts = RenderRounds(ARound(0, 0, 0.8), ARound(1, 412, 0.86), ARound(2, 100, 0.9));

        var bars = Assert.Single(ChartTitled(charts, "Pseudo-labels added").Series);
        Assert.True(bars.Bars);
        Assert.Equal([0L, 1, 2], bars.Epochs);
        Assert.Equal([0.0, 412, 100], bars.Values);
        var accuracy = ChartTitled(charts, "Test accuracy").Series;
        Assert.Equal([0.8, 0.86, 0.9], accuracy.Single(s => s.Name == "after the round").Values);
        var baseline = accuracy.Single(s => s.Baseline);
        Assert.Equal([0L, 2], baseline.Epochs);
        Assert.Equal([0.8, 0.8], baseline.Values);
        Assert.Equal("round", ChartTitled(charts, "Test accuracy").XTitle);
        var drawn = JSInterop.Invocations.Where(i => i.Identifier == "newPlot").Select(i => JsonSerializer.Serialize(i.Arguments[1])).ToList();
        Assert.Contains(drawn, traces => traces.Contains("\"type\":\"bar\"", StringComparison.Ordinal));
        Assert.Contains(drawn, traces => traces.Contains("\"dash\":\"dash\"", StringComparison.Ordinal));
    }

    [Fact]
    public void The_table_shows_each_rounds_additions_class_counts_confidence_and_test_metrics()
    {
        var charts = RenderRounds(ARound(0, 0, 0.8), ARound(1, 412, 0.86));

        Assert.Equal(["Round", "Added", "Class counts", "Confidence", "Unlabelled left", "Test Loss", "Test Accuracy"],
            charts.FindAll("[data-testid=self-training-rounds] th").Select(h => h.TextContent.Trim()));
        var first = charts.FindAll("[data-testid=self-training-rounds] tr[data-round='1'] td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["1", "412", "0: 206, 1: 206", "0.9", "1,000", "0.14", "0.86"], first);
        Assert.StartsWith("0 (labelled only)", charts.Find("[data-testid=self-training-rounds] tr[data-round='0'] td").TextContent.Trim());
    }

    [Fact]
    public void An_incremental_runs_x_is_the_window_with_its_rounds_additions_summed_and_its_last_rounds_accuracy()
    {
        var charts = RenderRounds(ARound(0, 0, 0.7, window: 1), ARound(1, 50, 0.75, window: 1), ARound(2, 30, 0.78, window: 1), ARound(1, 40, 0.82, window: 2));

        var bars = Assert.Single(ChartTitled(charts, "Pseudo-labels added").Series);
        Assert.Equal([1L, 2], bars.Epochs);
        Assert.Equal([80.0, 40], bars.Values);
        var accuracy = ChartTitled(charts, "Test accuracy");
        Assert.Equal([0.78, 0.82], accuracy.Series.Single(s => !s.Baseline).Values);
        Assert.Equal([0.7, 0.7], accuracy.Series.Single(s => s.Baseline).Values);
        Assert.Equal("unlabelled window", accuracy.XTitle);
        Assert.Equal("Window", charts.Find("[data-testid=self-training-rounds] th").TextContent.Trim());
    }

    [Fact]
    public void A_supervised_result_shows_no_self_training_section()
    {
        var charts = RenderRounds();

        Assert.Empty(charts.FindAll("[data-testid=self-training]"));
    }

    [Fact]
    public async Task A_round_the_job_reports_appears_on_the_result_page_while_it_is_open()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForElement("[data-testid=result-charts]");
        Assert.Empty(page.FindAll("[data-testid=self-training]"));

        await using (var db = Training.CreateContext())
        {
            var round = new SelfTrainingRoundReport(0, 0, new Dictionary<string, int>(), 0.9, new Dictionary<string, double> { ["accuracy"] = 0.8 }, 900);
            await TrainingJobsApi.ReportSelfTrainingRound(resultId, round, db, Training.Notifier, Ct);
        }

        page.WaitForAssertion(() => Assert.Equal("1", page.Find("[data-testid=self-training]").GetAttribute("data-rounds")));
    }
}
