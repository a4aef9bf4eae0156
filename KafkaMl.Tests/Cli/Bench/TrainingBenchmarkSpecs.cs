using System.Text.RegularExpressions;

namespace KafkaMl.Tests.Cli.Bench;

/// <summary><c>KafkaMl.Web bench training</c> as a child process. Figures are printed, never asserted.</summary>
public sealed class TrainingBenchmarkSpecs
{
    private static readonly string[] Workloads = ["hcopd", "generated"];

    [Fact]
    public async Task Bench_training_reports_memory_and_stream_side_by_side_for_both_workloads()
    {
        using var bench = await Cli.RunAsync("bench", "training", "--samples", "2000", "--epochs", "1", "--repeat", "1");

        Assert.True(bench.ExitCode == 0, bench.Transcript);
        var lines = bench.StdoutLines;
        Assert.Contains(lines, l => l.StartsWith("machine:", StringComparison.Ordinal) && l.Contains(" cores"));
        Assert.Contains(lines, l => l.StartsWith("paper:", StringComparison.Ordinal) && l.Contains("27.37 s"));
        foreach (var workload in Workloads)
        {
            Assert.Contains(lines, l => l.StartsWith($"workload:  {workload} ", StringComparison.Ordinal));
            Assert.Single(lines, l => Regex.IsMatch(l, $@"^{workload}\s+rep 1: memory\s+[\d.]+ s .*stream\s+[\d.]+ s .*read\+decode [\d.]+ s.*overhead [+-]"));
            Assert.Single(lines, l => Regex.IsMatch(l, $@"^\s+{workload}\s+[\d,]+\s+1\s+\d+\s+[\d.]+ \([\d.]+-[\d.]+\)\s+[\d.]+ \([\d.]+-[\d.]+\)"));
            Assert.Contains(lines, l => Regex.IsMatch(l, $@"^target     {workload}: stream <= memory \+ 10% .*: (met|NOT met)$"));
        }
    }

    [Fact]
    public async Task Both_contenders_train_on_the_same_tensors_and_end_with_the_same_test_metrics()
    {
        using var bench = await Cli.RunAsync("bench", "training", "--samples", "2000", "--epochs", "1", "--repeat", "2");

        Assert.True(bench.ExitCode == 0, bench.Transcript);
        foreach (var workload in Workloads)
            Assert.Contains(bench.StdoutLines, l => l.StartsWith($"results:   {workload}: the same test metrics in every run of both", StringComparison.Ordinal));
    }
}
