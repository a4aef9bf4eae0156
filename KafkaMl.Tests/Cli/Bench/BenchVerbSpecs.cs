namespace KafkaMl.Tests.Cli.Bench;

/// <summary><c>KafkaMl.Web bench</c> as a child process. Figures are printed, never asserted.</summary>
public sealed class BenchVerbSpecs
{
    [Fact]
    public async Task Bench_sink_reports_the_machine_and_both_the_baseline_and_the_RawSink_figures()
    {
        using var bench = await Cli.RunAsync("bench", "sink", "--count", "20000");

        Assert.True(bench.ExitCode == 0, bench.Transcript);
        var lines = bench.StdoutLines;
        Assert.Contains(lines, l => l.StartsWith("machine:", StringComparison.Ordinal) && l.Contains(" cores"));
        Assert.Equal(3, lines.Count(l => l.StartsWith("rep ", StringComparison.Ordinal)));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^baseline\s+bare producer\s+[\d,]+\s+[\d,]+"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^RawSink\s+encode\+offsets\+control\s+[\d,]+\s+[\d,]+"));
        Assert.Contains(lines, l => l.StartsWith("ratio      RawSink / baseline: wall ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_benchmark_exits_2_listing_the_known_ones()
    {
        using var bench = await Cli.RunAsync("bench", "warp-drive");

        Assert.Equal(2, bench.ExitCode);
        Assert.Contains("unknown benchmark 'warp-drive'; choose one of sink", bench.Stderr());
    }
}
