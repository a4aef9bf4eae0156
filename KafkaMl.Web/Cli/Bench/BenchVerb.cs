namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench &lt;what&gt;</c>: the project's benchmarks, each a subcommand. Results go to stdout as a
/// report (machine, workload, every repetition, medians, the baseline ratio); progress goes to stderr.
/// Performance is measured here, never asserted in timed tests.
/// </summary>
public static class BenchVerb
{
    private static readonly IReadOnlyList<IBenchmark> Benchmarks =
    [
        new SinkThroughputBenchmark(),
        new InferenceBenchmark(),
        new TrainingBenchmark(),
        new IncrementalBenchmark(),
        new PortalBenchmark(),
        new DashboardBenchmark(),
        new ChainBenchmark(),
    ];

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            var writer = args.Length == 0 ? Console.Error : Console.Out;
            await writer.WriteLineAsync("usage: KafkaMl.Web bench <benchmark> [options]   ('bench <benchmark> --help' for its options)");
            foreach (var benchmark in Benchmarks) await writer.WriteLineAsync($"  {benchmark.Name,-10} {benchmark.Summary}");
            return args.Length == 0 ? 2 : 0;
        }
        if (Benchmarks.FirstOrDefault(b => string.Equals(b.Name, args[0], StringComparison.OrdinalIgnoreCase)) is not { } found)
        {
            await Console.Error.WriteLineAsync($"bench: unknown benchmark '{args[0]}'; choose one of {string.Join(", ", Benchmarks.Select(b => b.Name))}.");
            return 2;
        }
        return await found.RunAsync(args[1..], cancellationToken);
    }
}
