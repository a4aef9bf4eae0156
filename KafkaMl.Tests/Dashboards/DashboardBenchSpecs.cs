namespace KafkaMl.Tests.Dashboards;

/// <summary><c>KafkaMl.Web bench dashboard</c> as a child process. Figures are printed, never asserted.</summary>
public sealed class DashboardBenchSpecs
{
    [Fact]
    public async Task Bench_dashboard_reports_both_phases_and_one_reader_for_all_the_viewers()
    {
        using var bench = await KafkaMl.Tests.Cli.Cli.RunAsync("bench", "dashboard", "--rate", "500", "--duration", "2", "--viewers", "3");

        Assert.True(bench.ExitCode == 0, bench.Transcript);
        var lines = bench.StdoutLines;
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^producer alone\s+[\d,]+\s+-\s+[\d.]+$"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^producer \+ dashboard\s+[\d,]+\s+[\d,]+\s+[\d.]+$"));
        Assert.Contains("readers (Kafka consumers) for the topic: 1 for 3 viewers", lines);
        Assert.Contains(lines, l => l.StartsWith("updates pushed: ", StringComparison.Ordinal));
    }
}
