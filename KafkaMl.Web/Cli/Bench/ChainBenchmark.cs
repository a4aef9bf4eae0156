using System.Globalization;
using KafkaMl.Core.Chains;
using KafkaMl.Core.Training;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench chain</c>: a three-stage early-exit chain (trained here on <see cref="EasyAndHardSamples"/>) served as three
/// inference engines over two embedded brokers — stage 1 on an "edge" broker, stages 2 and 3 on a "cloud" broker — beside
/// a single-stage deployment of the same network on the cloud broker, in one run: end-to-end latency per exit (p50/p99,
/// input produced → answer read) and the bytes forwarded upward per sample. Inputs go one at a time (each waits for its
/// answer), alternating between the two deployments, so the latencies hold no queueing.
/// </summary>
internal sealed class ChainBenchmark : Benchmark<ChainBenchmark.Settings>
{
    public sealed record Settings(int Inputs, int Samples, int Epochs, double? Threshold);

    public override string Name => "chain";

    public override string Summary => "early-exit chain over an edge and a cloud broker: e2e latency per exit and bytes forwarded, beside one stage";

    protected override string Usage =>
        """
        usage: KafkaMl.Web bench chain [--inputs N] [--samples N] [--epochs N] [--threshold T]
          --inputs N     inputs sent to each deployment, one at a time (default 600)
          --samples N    generated samples the chain trains and is tested on (default 1500)
          --epochs N     training epochs (default 40)
          --threshold T  the stages' confidence threshold (default: the trade-off's suggestion, tolerance 1 point)
        """;

    protected override IReadOnlyCollection<string> Valued => ["--inputs", "--samples", "--epochs", "--threshold"];

    protected override Settings Parse(CliOptions options) => new(
        options.Int("--inputs", 600, min: 1, max: 1_000_000),
        options.Int("--samples", 1500, min: 30),
        options.Int("--epochs", 40, min: 1, max: 10_000),
        options.Has("--threshold") ? options.Double("--threshold", 0) : null);

    protected override async Task<int> MeasureAsync(Settings settings, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        foreach (var line in BenchText.MachineLines()) await output.WriteLineAsync(line);
        TorchNative.EnsureLoadable();

        await Console.Error.WriteLineAsync($"training the chain: {settings.Samples} samples, {settings.Epochs} epochs");
        var trained = await ChainBench.TrainAsync(settings.Samples, settings.Epochs, cancellationToken);
        var threshold = settings.Threshold ?? ExitTradeOff.Suggest(trained.TradeOff) ?? 1.05;
        var expected = ExitTradeOff.Row(trained.Answers, threshold);

        using var edge = BenchBroker.Start(null, partitions: 1);
        using var cloud = BenchBroker.Start(null, partitions: 1);
        var topics = new ChainBench.Topics($"chain-bench-{Guid.NewGuid():N}"[..24]);
        foreach (var topic in topics.Edge) edge.CreateTopic(topic, 1);
        foreach (var topic in topics.Cloud) cloud.CreateTopic(topic, 1);
        await output.WriteLineAsync($"brokers:   edge {edge.BootstrapServers} (stage 1, input and answers), cloud {cloud.BootstrapServers} (stages 2, 3; the single-stage deployment), embedded, in this process");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"workload:  {settings.Inputs} test inputs (4 float32) to each deployment, one at a time, alternating; threshold {threshold} (trade-off there: {string.Join(" / ", expected.Shares.Select(s => BenchText.Percent(s)))} at exits 1/2/3, accuracy {BenchText.Percent(expected.Accuracy)})"));
        await output.FlushAsync(cancellationToken);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var engines = await ChainBench.StartAsync(trained, threshold, edge.BootstrapServers, cloud.BootstrapServers, topics, stop.Token);
        try
        {
            await ChainBench.WaitAssignedAsync(engines, cancellationToken);
            var rows = trained.TestRows;
            var inputs = Enumerable.Range(0, settings.Inputs).Select(i => rows[i % rows.Count]).ToList();
            await Console.Error.WriteLineAsync($"measuring: {inputs.Count} inputs each");
            var measured = await ChainBench.MeasureAsync(inputs, edge.BootstrapServers, cloud.BootstrapServers, topics, cancellationToken);
            await ChainBench.ReportAsync(output, measured, engines, trained, inputs.Count);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var engine in engines.All) await engine.Run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        return 0;
    }
}
