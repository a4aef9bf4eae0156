using System.Text.RegularExpressions;

namespace KafkaMl.Tests.Cli.Bench;

/// <summary>
/// <c>bench incremental</c> as a child process with tiny settings: its training table and its swap table are printed, every
/// version requested is swapped in and reaches the outputs, and no input is lost. Figures are printed, never asserted.
/// </summary>
public sealed partial class IncrementalBenchmarkSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Bench_incremental_prints_both_tables_serves_every_version_requested_and_loses_no_input()
    {
        using var bench = KafkaMlProcess.Start([
            "bench", "incremental", "--samples", "2000", "--repeat", "1",
            "--swaps", "3", "--swap-every-ms", "600", "--rate", "50", "--poll-ms", "100", "--quiet-seconds", "2",
        ]);

        var exitCode = await bench.WaitForExitAsync(TimeSpan.FromMinutes(5));

        output.WriteLine(string.Join(Environment.NewLine, bench.StdoutLines));
        Assert.True(exitCode == 0, bench.Transcript);
        var lines = bench.StdoutLines;
        Assert.Single(lines, l => Regex.IsMatch(l, @"^rep 1: +batch [\d.]+ s .*incremental [\d.]+ s \(open [\d.]+ s; 7 windows, 1,792 samples: .*ratio [\d.]+$"));
        Assert.Contains(lines, l => l.StartsWith("  training (medians)", StringComparison.Ordinal));
        Assert.Single(lines, l => Regex.IsMatch(l, @"^  batch, 1 epoch +2,000 +1 +[\d.]+ +[\d.]+ +[\d,]+$"));
        Assert.Single(lines, l => Regex.IsMatch(l, @"^  incremental, 256/window +1,792 +7 +[\d.]+ +[\d.]+ +[\d,]+$")); // 2000 = 7 full windows + 208
        Assert.Contains(lines, l => l.StartsWith("  incremental / batch samples/s: ", StringComparison.Ordinal));

        foreach (var window in new[] { "no swaps (1 s before + 1 s after)", "swap phase (3 swaps, one every 0.6 s)", "whole stream (warm-up included)" })
            Assert.Contains(lines, l => NothingLost(l, window));
        Assert.Contains(lines, l => l.StartsWith("  around swaps (load - 250 ms .. 1st output + 250 ms)", StringComparison.Ordinal));
        foreach (var row in new[] { "-> weights asked (the poll's wait)", "-> swapped in (between batches)", "-> first output carrying it" })
            Assert.Contains(lines, l => l.StartsWith($"  {row}", StringComparison.Ordinal) && l.EndsWith("(3 measured)", StringComparison.Ordinal));
        Assert.Contains("target     swaps: every version served (3 of 3 reached the outputs, 3 swaps by the engine), no input lost (lost 0, dup 0): met", lines);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^target     swaps: p99 around each swap <= 2x p99 without swaps .*: (met|NOT met)$"));
    }

    /// <summary>Whether <paramref name="line"/> is the row of <paramref name="window"/> with messages sent, all of them answered once.</summary>
    private static bool NothingLost(string line, string window)
    {
        var match = RowPattern().Match(line);
        return match.Success && match.Groups["name"].Value == window && int.Parse(match.Groups["sent"].Value) > 0
            && match.Groups["answered"].Value == match.Groups["sent"].Value && match.Groups["lost"].Value == "0" && match.Groups["dup"].Value == "0";
    }

    [GeneratedRegex(@"^  (?<name>\S.*?)\s+(?<sent>\d+)\s+(?<answered>\d+)\s+(?<lost>\d+)\s+(?<dup>\d+)\s+\S+ ms\s+\S+ ms\s+\S+ ms$")]
    private static partial Regex RowPattern();
}
