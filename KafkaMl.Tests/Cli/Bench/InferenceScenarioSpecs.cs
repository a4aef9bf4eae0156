using System.Text.RegularExpressions;

namespace KafkaMl.Tests.Cli.Bench;

/// <summary>
/// <c>bench inference --scenarios</c> as a child process, with tiny windows: scale and replica loss with real <c>infer</c>
/// processes (the cold start needs a portal and a training, too slow for a spec; the benchmark's run shows it). Latency
/// figures are printed, never asserted; that no input is lost is.
/// </summary>
public sealed partial class InferenceScenarioSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Bench_inference_scale_and_loss_scenarios_print_their_windows_beside_the_steady_state_and_lose_no_input()
    {
        using var bench = KafkaMlProcess.Start([
            "bench", "inference", "--skip-table", "--scenarios", "scale,loss", "--window-seconds", "3", "--paced-rate", "20", "--random-weights",
        ]);

        var exitCode = await bench.WaitForExitAsync(TimeSpan.FromMinutes(5));

        output.WriteLine(string.Join(Environment.NewLine, bench.StdoutLines));
        Assert.True(exitCode == 0, bench.Transcript);
        var lines = bench.StdoutLines;
        Assert.DoesNotContain(lines, l => l.StartsWith("normal ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("scale: 2 -> 4 -> 2 replica processes", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("replica loss: SIGKILL of 1 of 2 replica processes", StringComparison.Ordinal));
        string[] windows = ["steady, 2 replicas (3 s)", "3 s after 2 -> 4 (2 started)", "3 s after 4 -> 2 (2 SIGTERMed)", "3 s after SIGKILL of 1 of 2", "whole stream"];
        foreach (var window in windows)
            Assert.Contains(lines, l => NothingLost(l, window));
        Assert.Equal(2, lines.Count(l => NothingLost(l, "whole stream")));
        Assert.Contains("target     scale 2 -> 4 -> 2: no input lost (lost 0): met", lines);
        Assert.Contains(lines, l => l.StartsWith("target     replica loss: every input answered (lost 0, duplicates ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("target     replica loss: longest gap on the killed replica's partitions < 10 s", StringComparison.Ordinal));
    }

    /// <summary>Whether <paramref name="line"/> is the row of <paramref name="window"/> with messages sent, all of them answered.</summary>
    private static bool NothingLost(string line, string window)
    {
        var match = RowPattern().Match(line);
        return match.Success && match.Groups["name"].Value == window && int.Parse(match.Groups["sent"].Value) > 0
            && match.Groups["answered"].Value == match.Groups["sent"].Value && match.Groups["lost"].Value == "0";
    }

    [GeneratedRegex(@"^  (?<name>\S.*?)\s+(?<sent>\d+)\s+(?<answered>\d+)\s+(?<lost>\d+)\s+(?<dup>\d+)\s+\S+ ms\s+\S+ ms\s+\S+ ms$")]
    private static partial Regex RowPattern();
}
