using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using KafkaMl.Core.Dashboards;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Streaming;
using KafkaMl.Web.Services.Dashboards;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench dashboard</c>: a prediction topic at a steady rate with a dashboard open by several viewers, through the
/// portal's own <see cref="DashboardHub"/> in this process. Two phases of the same length, the producer alone first,
/// then with the viewers: the reader's throughput and lag, the updates pushed per viewer per second (each rendered as
/// its JSON, a stand-in for a circuit's render), how many readers served them, and the process's CPU in both phases.
/// </summary>
internal sealed partial class DashboardBenchmark : Benchmark<DashboardBenchmark.Settings>
{
    public sealed record Settings(int Rate, TimeSpan Duration, int Viewers, int Window, int Partitions, string? BootstrapServers, bool Portal = false, int Users = 10, int Browsers = 0);

    public override string Name => "dashboard";

    public override string Summary => "a prediction topic at N msg/s with a dashboard open by several viewers: reader throughput, updates pushed per viewer, readers, CPU";

    protected override string Usage =>
        """
        usage: KafkaMl.Web bench dashboard [--rate N] [--duration S] [--viewers N] [--window N] [--partitions N] [--bootstrap-servers HOST:PORT] [--portal [--users N] [--browsers N]]
          --rate N          predictions produced per second (default 10000)
          --duration S      seconds of each phase: producer alone, then producer with the viewers (default 30)
          --viewers N       viewers of the one dashboard (default 4)
          --window N        the dashboard's window (default 1000)
          --partitions N    partitions of the prediction topic on the embedded broker (default 4)
          --bootstrap-servers HOST:PORT   a cluster to measure against instead of an embedded broker in this process
          --portal          against a real portal (child process, open access, its embedded broker): users load its pages while the
                            producer runs, with no dashboard open (half the duration before, half after) and with the viewers
                            polling the dashboard's summary at the push rate (4/s: what a circuit is sent); page latency side
                            by side, and the portal's reader and viewer counts
          --users N         (--portal) users loading pages, one page every 200 ms each (default 10)
          --browsers N      (--portal) the viewers are N real Blazor circuits instead: headless Chromium processes
                            (/usr/bin/chromium, from scripts/install-test-deps.sh) with the dashboard's page open
        """;

    protected override IReadOnlyCollection<string> Valued => ["--rate", "--duration", "--viewers", "--window", "--partitions", "--users", "--browsers", BenchBroker.BootstrapOption];

    protected override IReadOnlyCollection<string> Flags => ["--portal"];

    protected override Settings Parse(CliOptions options) => new(
        options.Int("--rate", 10_000, min: 1, max: 1_000_000),
        TimeSpan.FromSeconds(options.Int("--duration", 30, min: 1, max: 86_400)),
        options.Int("--viewers", 4, min: 1, max: 1_000),
        options.Int("--window", 1_000, min: 1, max: KafkaMl.Core.Domain.Dashboard.MaxWindow),
        options.Int("--partitions", 4, min: 1, max: 256),
        options.Get(BenchBroker.BootstrapOption),
        options.Flag("--portal"),
        options.Int("--users", 10, min: 1, max: 1_000),
        options.Int("--browsers", 0, min: 0, max: 32));

    protected override Task<int> MeasureAsync(Settings settings, CancellationToken cancellationToken) =>
        settings.Portal ? MeasurePortalAsync(settings, cancellationToken) : MeasureHubAsync(settings, cancellationToken);

    private static async Task<int> MeasureHubAsync(Settings settings, CancellationToken cancellationToken)
    {
        using var broker = BenchBroker.Start(settings.BootstrapServers, settings.Partitions);
        var topic = $"bench-predictions-{Guid.NewGuid():N}";
        await broker.EnsureTopicAsync(topic, settings.Partitions);
        await using var hub = new DashboardHub(new KafkaEndpoint(broker.BootstrapServers, broker.IsEmbedded, "bench-dashboard-control"),
            Options.Create(new DashboardOptions()), TimeProvider.System, NullLogger<DashboardHub>.Instance);
        using var producer = new ProducerBuilder<byte[]?, byte[]>(KafkaClientConfig.BulkProducer(broker.BootstrapServers, "bench-dashboard"))
            .SetLogHandler((_, _) => { }).Build();
        var source = new DashboardSource(topic, null);
        var dashboard = new DashboardSettings(KafkaMl.Core.Domain.DashboardType.Classification, settings.Window, AverageUpdated: true);

        await Progress($"phase 1: {settings.Rate:N0} predictions/s to {topic} for {settings.Duration.TotalSeconds:0} s, no dashboard open");
        var alone = await ProduceAsync(producer, topic, settings, cancellationToken);

        await Progress($"phase 2: the same with {settings.Viewers} viewers of one dashboard");
        var viewers = Enumerable.Range(0, settings.Viewers).Select(_ => new Viewer()).ToList();
        var viewings = viewers.Select(v => hub.Watch(source, dashboard, v.TakeAsync).Viewing).ToList();
        try
        {
            await WaitAsync(() => hub.Summary(source, dashboard).State == DashboardState.Reading, "the reader to start", cancellationToken);
            var before = Consumed(hub);
            var pushesBefore = viewers.Sum(v => v.Pushes);
            var watched = await ProduceAsync(producer, topic, settings, cancellationToken);
            var read = Consumed(hub) - before;
            var lagAtEnd = watched.Produced - read;
            var catchUp = Stopwatch.StartNew();
            await WaitAsync(() => Consumed(hub) - before >= watched.Produced, "the reader to catch up", cancellationToken);
            catchUp.Stop();
            var pushes = viewers.Sum(v => v.Pushes) - pushesBefore;
            var readers = hub.Watched();

            foreach (var line in BenchText.MachineLines()) await Console.Out.WriteLineAsync(line);
            await Console.Out.WriteLineAsync(broker.Line(topics: "topic"));
            await Console.Out.WriteLineAsync(Line($"workload:  {settings.Rate:N0} predictions/s (KafkaMl's JSON, 3 classes) for {settings.Duration.TotalSeconds:0} s per phase; {settings.Viewers} viewers of one classification dashboard (window {settings.Window:N0}, leading class)"));
            await Console.Out.WriteLineAsync();
            await Console.Out.WriteLineAsync(Line($"{"phase",-28} {"produced/s",11} {"read/s",9} {"CPU cores",10}"));
            await Console.Out.WriteLineAsync(Line($"{"producer alone",-28} {alone.Produced / alone.Seconds,11:N0} {"-",9} {alone.Cores,10:0.00}"));
            await Console.Out.WriteLineAsync(Line($"{"producer + dashboard",-28} {watched.Produced / watched.Seconds,11:N0} {read / watched.Seconds,9:N0} {watched.Cores,10:0.00}"));
            await Console.Out.WriteLineAsync();
            await Console.Out.WriteLineAsync(Line($"readers (Kafka consumers) for the topic: {readers.Count(r => r.Topic == topic)} for {settings.Viewers} viewers"));
            await Console.Out.WriteLineAsync(Line($"reader lag when the load stopped: {lagAtEnd:N0} messages; caught up {catchUp.Elapsed.TotalMilliseconds:0} ms later"));
            await Console.Out.WriteLineAsync(Line($"updates pushed: {pushes / (double)settings.Viewers / watched.Seconds:0.0} per viewer per second (at most {1 / new DashboardOptions().PushInterval.TotalSeconds:0}); snapshot {viewers.Max(v => v.Bytes):N0} bytes as JSON, render stand-in p99 {BenchStats.Percentile([.. viewers.SelectMany(v => v.RenderMs).Order()], 0.99):0.00} ms"));
            await Console.Out.WriteLineAsync(Line($"dashboard CPU: {watched.Cores - alone.Cores:+0.00;-0.00} cores over the producer alone"));
            return lagAtEnd >= 0 ? 0 : 1;
        }
        finally
        {
            foreach (var viewing in viewings) viewing.Dispose();
        }
    }

    private static long Consumed(DashboardHub hub) => hub.Watched().Sum(w => w.Consumed);

    /// <summary>Produces at the rate for the duration (in 10 ms slices), flushes; answers how many, over how long, and the process's CPU cores used.</summary>
    internal static async Task<Phase> ProduceAsync(IProducer<byte[]?, byte[]> producer, string topic, Settings settings, CancellationToken cancellationToken)
    {
        var writer = new PredictionWriter("bench");
        var random = new Random(17);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long produced = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (clock.Elapsed < settings.Duration && await timer.WaitForNextTickAsync(cancellationToken))
        {
            var due = (long)(clock.Elapsed.TotalSeconds * settings.Rate);
            for (; produced < due; produced++)
            {
                var @class = random.Next(3);
                Span<float> values = [0.1f, 0.1f, 0.1f];
                values[@class] = 0.8f;
                producer.Produce(topic, new Message<byte[]?, byte[]> { Value = writer.Write(values, @class, 0, produced) });
            }
        }
        producer.Flush(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return new Phase(produced, seconds, (process.TotalProcessorTime - cpuBefore).TotalSeconds / seconds);
    }

    private static async Task WaitAsync(Func<bool> done, string what, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new BenchFailure($"timed out waiting for {what}.");
            await Task.Delay(20, cancellationToken);
        }
    }

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static Task Progress(string line) => Console.Error.WriteLineAsync($"bench dashboard: {line}");

    internal sealed record Phase(long Produced, double Seconds, double Cores);

    /// <summary>A viewer as a circuit would be: every pushed snapshot is turned into what is sent (here its JSON), timed.</summary>
    private sealed class Viewer
    {
        private readonly List<double> renderMs = [];

        public long Pushes { get; private set; }

        public long Bytes { get; private set; }

        public IReadOnlyList<double> RenderMs
        {
            get
            {
                lock (renderMs) return [.. renderMs];
            }
        }

        public Task TakeAsync(DashboardSummary summary)
        {
            var clock = Stopwatch.StartNew();
            Bytes = JsonSerializer.SerializeToUtf8Bytes(summary).Length;
            lock (renderMs) renderMs.Add(clock.Elapsed.TotalMilliseconds);
            Pushes++;
            return Task.CompletedTask;
        }
    }
}
