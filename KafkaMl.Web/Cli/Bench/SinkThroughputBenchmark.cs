using System.Globalization;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench sink</c>: <see cref="Core.Sinks.RawSink"/> against a bare Confluent.Kafka producer, in the same
/// process, against the same broker, with the same producer settings and the same partition spread.
/// The baseline produces pre-encoded payloads (12-byte value, 4-byte key) and only counts delivery
/// reports; RawSink encodes each sample, tracks the offsets of every delivery and, at the end, sends
/// the control message. Each repetition runs both on fresh topics, alternating which goes first.
/// </summary>
internal sealed class SinkThroughputBenchmark : Benchmark<SinkThroughputBenchmark.Settings>
{
    public sealed record Settings(int Count, int Repeat, int Features, int Block, int Partitions, string? BootstrapServers, IReadOnlyDictionary<string, string> ProducerSettings);

    public override string Name => "sink";

    public override string Summary => "RawSink throughput (3-float samples) side by side with a bare Confluent.Kafka producer";

    protected override string Usage =>
        """
        usage: KafkaMl.Web bench sink [--count N] [--repeat N] [--features N] [--block N] [--partitions N] [--bootstrap-servers H:P] [-X KEY=VALUE]...
          --count N               samples per run (default 200000)
          --repeat N              repetitions; the report gives each and the median (default 3)
          --features N            float32 features per sample (default 3), plus one float32 label
          --block N               messages per block for the block-time percentiles (default 10000)
          --partitions N          partitions of each data topic on the embedded broker (default 4)
          --bootstrap-servers H:P measure against this cluster (default: an embedded broker started in this process)
          -X KEY=VALUE            librdkafka producer setting for both contenders, repeatable
        """;

    protected override IReadOnlyCollection<string> Valued =>
        ["--count", "--repeat", "--features", "--block", "--partitions", BenchBroker.BootstrapOption, BenchBroker.KafkaSettingOption];

    protected override Settings Parse(CliOptions options) => new(
        options.Int("--count", 200_000, min: 1),
        options.Int("--repeat", 3, min: 1, max: 100),
        options.Int("--features", 3, min: 1, max: 100_000),
        options.Int("--block", 10_000, min: 1),
        options.Int("--partitions", 4, min: 1, max: 1000),
        options.Get(BenchBroker.BootstrapOption),
        VerbKafkaSettings.From(options));

    protected override async Task<int> MeasureAsync(Settings settings, CancellationToken cancellationToken)
    {
        using var broker = BenchBroker.Start(settings.BootstrapServers, settings.Partitions);
        broker.CreateTopic(SinkContenders.ControlTopic, 1);
        var contenders = new SinkContenders(broker.BootstrapServers, settings.Block, settings.ProducerSettings, settings.Features);
        var output = Console.Out;
        foreach (var line in BenchText.MachineLines()) await output.WriteLineAsync(line);
        await output.WriteLineAsync(broker.Line());
        await output.WriteLineAsync(
            $"workload:  {ConsoleProgress.Count(settings.Count)} samples x {settings.Features} float32 features + 1 float32 label " +
            $"({settings.Features * 4}-byte value, 4-byte key), {settings.Repeat} repetition(s), both on fresh topics each time, order alternating");
        await output.WriteLineAsync("producer:  linger.ms 5, acks all, idempotent, queue 1,000,000 msgs / 1 GiB, spread over partitions in blocks of 128 (RawSink's settings, both)");
        await output.WriteLineAsync("baseline:  bare Confluent.Kafka IProducer<byte[],byte[]>, pre-encoded payloads, delivery reports counted");
        await output.WriteLineAsync("RawSink:   KafkaMl.Core.Sinks.RawSink: encode each sample, track every delivered offset, send the control message");
        await output.WriteLineAsync("wall:      first produce until every message is acknowledged (RawSink: and its control message is)");
        await output.WriteLineAsync("hand-off:  messages per second the sending thread handed to librdkafka (encoding and queueing only)");
        await output.WriteLineAsync($"blocks:    when each {ConsoleProgress.Count(settings.Block)} acknowledged messages completed; the first block includes connecting and the idempotent producer id (librdkafka waits ~0.5 s for it)");
        await output.FlushAsync(cancellationToken);

        string NewTopic(string kind)
        {
            var topic = $"kafkaml-bench-{kind}-{Guid.NewGuid():N}";
            broker.CreateTopic(topic, settings.Partitions);
            return topic;
        }

        // Warm-up: JIT, connections, thread pools; not reported.
        var warmup = Math.Min(settings.Count, 100_000);
        await Console.Error.WriteLineAsync($"warm-up: {ConsoleProgress.Count(warmup)} messages each");
        contenders.RunBaseline(NewTopic("warmup"), warmup, cancellationToken);
        await contenders.RunSinkAsync(NewTopic("warmup"), warmup, cancellationToken);

        var contest = await Contest<SinkRun>.AlternateAsync(settings.Repeat, "",
            new("baseline", () => Task.FromResult(contenders.RunBaseline(NewTopic("baseline"), settings.Count, cancellationToken))),
            new("RawSink", () => contenders.RunSinkAsync(NewTopic("sink"), settings.Count, cancellationToken)),
            async (rep, b, s) =>
            {
                await output.WriteLineAsync(
                    $"rep {rep}:     baseline {Rate(b.MessagesPerSecond),9} msg/s ({Seconds(b)}; hand-off {Rate(b.HandOffPerSecond),9}/s)   " +
                    $"RawSink {Rate(s.MessagesPerSecond),9} msg/s ({Seconds(s)}; hand-off {Rate(s.HandOffPerSecond),9}/s)   ratio {s.MessagesPerSecond / b.MessagesPerSecond:0.00}");
                await output.FlushAsync(cancellationToken);
            });

        var block = ConsoleProgress.Count(settings.Block);
        await output.WriteLineAsync(
            $"medians                           {"wall msg/s",12} {"hand-off/s",13} {"first block",12} {$"{block}-msg block p50",22} {"p99",9}");
        await output.WriteLineAsync(SummaryLine("baseline   bare producer         ", contest.Baseline));
        await output.WriteLineAsync(SummaryLine("RawSink    encode+offsets+control", contest.Candidate));
        var ratio = contest.Ratio(r => r.MessagesPerSecond);
        var handOffRatio = contest.Ratio(r => r.HandOffPerSecond);
        await output.WriteLineAsync($"ratio      RawSink / baseline: wall {ratio:0.00}, hand-off {handOffRatio:0.00} (medians)");
        if (settings.Features == 3)
        {
            var sinkMedian = BenchStats.Median(contest.Candidate.Select(r => r.MessagesPerSecond));
            await output.WriteLineAsync($"target     RawSink >= 50,000 msg/s with 3-float samples (wall median {Rate(sinkMedian)}): {(sinkMedian >= 50_000 ? "met" : "NOT met")}");
        }
        await output.FlushAsync(cancellationToken);
        return 0;
    }

    private static string SummaryLine(string name, IReadOnlyList<SinkRun> runs)
    {
        var later = runs.SelectMany(r => r.LaterBlockMilliseconds).Order().ToList();
        return $"{name} {Rate(BenchStats.Median(runs.Select(r => r.MessagesPerSecond))),12} {Rate(BenchStats.Median(runs.Select(r => r.HandOffPerSecond))),13} " +
            $"{Milliseconds(BenchStats.Median(runs.Select(r => r.FirstBlockMilliseconds))),12} " +
            $"{(later.Count == 0 ? "-" : Milliseconds(BenchStats.Percentile(later, 0.50))),22} {(later.Count == 0 ? "-" : Milliseconds(BenchStats.Percentile(later, 0.99))),9}";
    }

    private static string Rate(double? rate) => BenchText.Count(rate);

    private static string Milliseconds(double? ms) => ms is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";

    private static string Seconds(SinkRun run) => BenchText.Seconds(run.Elapsed);
}
