using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using KafkaMl.Core.Broker;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>bench &lt;what&gt;</c>: the project's benchmarks, each a subcommand. Results go to stdout as a
/// report (machine, workload, every repetition, medians, the baseline ratio); progress goes to stderr.
/// Performance is measured here, never asserted in timed tests.
/// </summary>
public static class BenchVerb
{
    private static readonly Dictionary<string, (string Summary, Func<string[], CancellationToken, Task<int>> Run)> Benchmarks =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["sink"] = ("RawSink throughput (3-float samples) side by side with a bare Confluent.Kafka producer", SinkBench.RunAsync),
            ["inference"] = ("streaming inference latency (the paper's normal / data streams / process isolation) and throughput with 1, 2, 4 replicas", InferenceBench.RunAsync),
            ["training"] = ("training from a stream (the real training job) side by side with the same samples already in memory, HCOPD and a generated set", TrainingBenchmark.RunAsync),
            ["portal"] = ("a team's load on a real portal: N users browsing results and inferences while trainings and inference services run; latency percentiles per route", PortalBenchmark.RunAsync),
        };

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            var writer = args.Length == 0 ? Console.Error : Console.Out;
            await writer.WriteLineAsync("usage: KafkaMl.Web bench <benchmark> [options]   ('bench <benchmark> --help' for its options)");
            foreach (var (name, benchmark) in Benchmarks) await writer.WriteLineAsync($"  {name,-10} {benchmark.Summary}");
            return args.Length == 0 ? 2 : 0;
        }
        if (!Benchmarks.TryGetValue(args[0], out var found))
        {
            await Console.Error.WriteLineAsync($"bench: unknown benchmark '{args[0]}'; choose one of {string.Join(", ", Benchmarks.Keys)}.");
            return 2;
        }
        return await found.Run(args[1..], cancellationToken);
    }

    /// <summary>The lines every benchmark report starts with: what ran where.</summary>
    internal static IEnumerable<string> MachineLines()
    {
        var configuration = typeof(BenchVerb).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "?";
        yield return $"machine:   {Environment.ProcessorCount} cores{CpuModel()}, {RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}";
        yield return $"runtime:   {RuntimeInformation.FrameworkDescription}, {configuration} build" +
            (configuration == "Release" ? "" : " (measure a Release build for figures worth quoting: dotnet run -c Release)");
        yield return $"kafka:     Confluent.Kafka {typeof(Library).Assembly.GetName().Version?.ToString(3)}, librdkafka {Library.VersionString}";
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                : null;
            return line is null ? "" : $" ({line[(line.IndexOf(':') + 1)..].Trim()})";
        }
        catch (IOException)
        {
            return "";
        }
    }
}

/// <summary>
/// <c>bench sink</c>: <see cref="RawSink"/> against a bare Confluent.Kafka producer, in the same
/// process, against the same broker, with the same producer settings and the same partition spread.
/// The baseline produces pre-encoded payloads (12-byte value, 4-byte key) and only counts delivery
/// reports; RawSink encodes each sample, tracks the offsets of every delivery and, at the end, sends
/// the control message. Each repetition runs both on fresh topics, alternating which goes first.
/// </summary>
internal static class SinkBench
{
    private const string Usage =
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

    /// <summary>KafkaSink's spread: consecutive blocks of this many messages per partition.</summary>
    private const int SpreadBlock = 128;

    private const int DistinctSamples = 1024;

    private const string ControlTopic = "KAFKA_ML_BENCH_CONTROL_TOPIC";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Settings settings;
        try
        {
            var options = CliOptions.Parse(args, ["--count", "--repeat", "--features", "--block", "--partitions", "--bootstrap-servers", "-X"], []);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(Usage);
                return 0;
            }
            if (options.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.");
            settings = new Settings(
                options.Int("--count", 200_000, min: 1),
                options.Int("--repeat", 3, min: 1, max: 100),
                options.Int("--features", 3, min: 1, max: 100_000),
                options.Int("--block", 10_000, min: 1),
                options.Int("--partitions", 4, min: 1, max: 1000),
                options.Get("--bootstrap-servers"),
                SendRequest.KafkaSettings(options));
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"bench sink: {e.Message}");
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        EmbeddedBroker? embedded = null;
        try
        {
            if (settings.BootstrapServers is null)
            {
                embedded = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0, DefaultPartitions: settings.Partitions));
                embedded.CreateTopic(ControlTopic, 1);
            }
            var bootstrap = settings.BootstrapServers ?? embedded!.BootstrapServers;
            return await MeasureAsync(settings, bootstrap, embedded, cancellationToken);
        }
        catch (BrokerStartException e)
        {
            await Console.Error.WriteLineAsync($"bench sink: {e.Message}");
            return 1;
        }
        catch (BenchFailure e)
        {
            await Console.Error.WriteLineAsync($"bench sink: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench sink: cancelled.");
            return 130;
        }
        finally
        {
            embedded?.Dispose();
        }
    }

    private sealed record Settings(int Count, int Repeat, int Features, int Block, int Partitions, string? BootstrapServers, IReadOnlyDictionary<string, string> ProducerSettings);

    /// <summary>One contender's run: its wall time and when each block of acknowledged messages completed.</summary>
    private sealed record Run(long Messages, TimeSpan Elapsed, TimeSpan HandOff, IReadOnlyList<TimeSpan> Crossings)
    {
        public double MessagesPerSecond => Messages / Elapsed.TotalSeconds;

        /// <summary>Messages per second handed to librdkafka by the sending thread (the CPU cost per message on the caller's side).</summary>
        public double HandOffPerSecond => Messages / HandOff.TotalSeconds;

        /// <summary>Time until the first block was acknowledged (includes connecting and the idempotent producer's id).</summary>
        public double? FirstBlockMilliseconds => Crossings.Count >= 1 ? Crossings[0].TotalMilliseconds : null;

        /// <summary>Duration of every later block.</summary>
        public IEnumerable<double> LaterBlockMilliseconds => Crossings.Skip(1).Zip(Crossings, (later, earlier) => (later - earlier).TotalMilliseconds);
    }

    private sealed class BenchFailure(string message) : Exception(message);

    private static async Task<int> MeasureAsync(Settings settings, string bootstrap, EmbeddedBroker? embedded, CancellationToken cancellationToken)
    {
        var workload = Workload.Create(settings.Features);
        var output = Console.Out;
        foreach (var line in BenchVerb.MachineLines()) await output.WriteLineAsync(line);
        await output.WriteLineAsync(embedded is null
            ? $"broker:    {bootstrap} (given)"
            : $"broker:    embedded, in this process (librdkafka mock cluster at {bootstrap}), {settings.Partitions} partitions per data topic");
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
            embedded?.CreateTopic(topic, settings.Partitions);
            return topic;
        }

        // Warm-up: JIT, connections, thread pools; not reported.
        var warmup = Math.Min(settings.Count, 100_000);
        await Console.Error.WriteLineAsync($"warm-up: {ConsoleProgress.Count(warmup)} messages each");
        RunBaseline(bootstrap, NewTopic("warmup"), warmup, workload, settings, cancellationToken);
        await RunSinkAsync(bootstrap, NewTopic("warmup"), warmup, workload, settings, cancellationToken);

        var baseline = new List<Run>();
        var sink = new List<Run>();
        for (var rep = 1; rep <= settings.Repeat; rep++)
        {
            var baselineFirst = rep % 2 == 1;
            await Console.Error.WriteLineAsync($"repetition {rep}/{settings.Repeat}: {(baselineFirst ? "baseline, then RawSink" : "RawSink, then baseline")}");
            Run b, s;
            if (baselineFirst)
            {
                b = RunBaseline(bootstrap, NewTopic("baseline"), settings.Count, workload, settings, cancellationToken);
                s = await RunSinkAsync(bootstrap, NewTopic("sink"), settings.Count, workload, settings, cancellationToken);
            }
            else
            {
                s = await RunSinkAsync(bootstrap, NewTopic("sink"), settings.Count, workload, settings, cancellationToken);
                b = RunBaseline(bootstrap, NewTopic("baseline"), settings.Count, workload, settings, cancellationToken);
            }
            baseline.Add(b);
            sink.Add(s);
            await output.WriteLineAsync(
                $"rep {rep}:     baseline {Format(b.MessagesPerSecond),9} msg/s ({Seconds(b)}; hand-off {Format(b.HandOffPerSecond),9}/s)   " +
                $"RawSink {Format(s.MessagesPerSecond),9} msg/s ({Seconds(s)}; hand-off {Format(s.HandOffPerSecond),9}/s)   ratio {s.MessagesPerSecond / b.MessagesPerSecond:0.00}");
            await output.FlushAsync(cancellationToken);
        }

        var block = ConsoleProgress.Count(settings.Block);
        await output.WriteLineAsync(
            $"medians                           {"wall msg/s",12} {"hand-off/s",13} {"first block",12} {$"{block}-msg block p50",22} {"p99",9}");
        await output.WriteLineAsync(SummaryLine("baseline   bare producer         ", baseline));
        await output.WriteLineAsync(SummaryLine("RawSink    encode+offsets+control", sink));
        var ratio = Median(sink.Select(r => r.MessagesPerSecond)) / Median(baseline.Select(r => r.MessagesPerSecond));
        var handOffRatio = Median(sink.Select(r => r.HandOffPerSecond)) / Median(baseline.Select(r => r.HandOffPerSecond));
        await output.WriteLineAsync($"ratio      RawSink / baseline: wall {ratio:0.00}, hand-off {handOffRatio:0.00} (medians)");
        if (settings.Features == 3)
        {
            var sinkMedian = Median(sink.Select(r => r.MessagesPerSecond));
            await output.WriteLineAsync($"target     RawSink >= 50,000 msg/s with 3-float samples (wall median {Format(sinkMedian)}): {(sinkMedian >= 50_000 ? "met" : "NOT met")}");
        }
        await output.FlushAsync(cancellationToken);
        return 0;
    }

    // ---- the two contenders ----

    private static Run RunBaseline(string bootstrap, string topic, int count, Workload workload, Settings settings, CancellationToken cancellationToken)
    {
        long delivered = 0;
        long spread = 0;
        Error? firstError = null;
        using var producer = new ProducerBuilder<byte[], byte[]>(ProducerConfig(bootstrap, "kafkaml-bench-baseline", settings.ProducerSettings))
            .SetPartitioner(topic, (_, partitions, _, _) => new Partition((int)((Interlocked.Increment(ref spread) - 1) / SpreadBlock % partitions)))
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, error) => { if (error.IsFatal) Interlocked.CompareExchange(ref firstError, error, null); })
            .Build();
        Action<DeliveryReport<byte[], byte[]>> onDelivery = report =>
        {
            if (report.Error.IsError) Interlocked.CompareExchange(ref firstError, report.Error, null);
            Interlocked.Increment(ref delivered);
        };
        var target = new TopicPartition(topic, Partition.Any);

        var clock = Stopwatch.StartNew();
        using var blocks = new BlockClock(() => Interlocked.Read(ref delivered), settings.Block, clock);
        for (var i = 0; i < count; i++)
        {
            if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            var n = i % DistinctSamples;
            var message = new Message<byte[], byte[]> { Key = workload.Keys[n], Value = workload.Values[n] };
            while (true)
            {
                try
                {
                    producer.Produce(target, message, onDelivery);
                    break;
                }
                catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    Thread.Sleep(1);
                }
            }
        }
        var handOff = clock.Elapsed;
        producer.Flush(cancellationToken);
        var spinner = new SpinWait();
        while (Interlocked.Read(ref delivered) < count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            spinner.SpinOnce(sleep1Threshold: 20);
        }
        clock.Stop();
        if (Volatile.Read(ref firstError) is { } error) throw new BenchFailure($"the baseline producer failed: {error.Reason} ({error.Code})");
        return new Run(count, clock.Elapsed, handOff, blocks.Finish());
    }

    private static async Task<Run> RunSinkAsync(string bootstrap, string topic, int count, Workload workload, Settings settings, CancellationToken cancellationToken)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = bootstrap,
            Topic = topic,
            ControlTopic = ControlTopic,
            DeploymentId = 0,
            Description = $"bench sink: {count} samples of {workload.Features} floats",
            ProducerSettings = settings.ProducerSettings,
        }, new RawFormatConfig(RawDataType.Float32, RawDataType.Float32));

        var width = workload.Features;
        var clock = Stopwatch.StartNew();
        using var blocks = new BlockClock(() => sink.MessagesDelivered, settings.Block, clock);
        SinkResult result;
        TimeSpan handOff;
        try
        {
            for (var i = 0; i < count; i++)
            {
                if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                var n = i % DistinctSamples;
                sink.Send(workload.Samples.AsSpan(n * width, width), workload.Labels.AsSpan(n, 1));
            }
            handOff = clock.Elapsed;
            result = await sink.CompleteAsync(cancellationToken);
        }
        catch (SinkDeliveryException e)
        {
            throw new BenchFailure($"RawSink failed: {e.Message}");
        }
        clock.Stop();
        if (result.Messages != count)
            throw new BenchFailure($"RawSink's control message names {result.Messages} messages, not {count}.");
        return new Run(count, clock.Elapsed, handOff, blocks.Finish());
    }

    private static ProducerConfig ProducerConfig(string bootstrap, string clientId, IReadOnlyDictionary<string, string> extra)
    {
        var config = new ProducerConfig
        {
            // The same settings as KafkaSink's producer.
            BootstrapServers = bootstrap,
            ClientId = clientId,
            LingerMs = 5,
            QueueBufferingMaxMessages = 1_000_000,
            QueueBufferingMaxKbytes = 1024 * 1024,
            Acks = Acks.All,
            EnableIdempotence = true,
            MessageTimeoutMs = 120_000,
            DeliveryReportFields = "none",
        };
        foreach (var (key, value) in extra) config.Set(key, value);
        return config;
    }

    /// <summary>The samples both contenders send: RawSink encodes them, the baseline gets their bytes ready-made.</summary>
    private sealed record Workload(int Features, float[] Samples, float[] Labels, byte[][] Values, byte[][] Keys)
    {
        public static Workload Create(int features)
        {
            var random = new Random(42);
            var samples = new float[DistinctSamples * features];
            for (var i = 0; i < samples.Length; i++) samples[i] = random.NextSingle();
            var labels = new float[DistinctSamples];
            for (var i = 0; i < labels.Length; i++) labels[i] = i % 2;
            var encoder = new RawEncoder(new RawFormatConfig(RawDataType.Float32, RawDataType.Float32));
            var values = new byte[DistinctSamples][];
            var keys = new byte[DistinctSamples][];
            for (var i = 0; i < DistinctSamples; i++)
            {
                var message = encoder.Encode(samples.AsSpan(i * features, features), labels.AsSpan(i, 1));
                values[i] = message.Value;
                keys[i] = message.Key!;
            }
            return new Workload(features, samples, labels, values, keys);
        }
    }

    /// <summary>
    /// Notes when each block of <c>block</c> acknowledged messages completes, polling the delivered
    /// count every millisecond on its own thread (so the sending thread is not slowed down).
    /// </summary>
    private sealed class BlockClock : IDisposable
    {
        private readonly Func<long> _delivered;
        private readonly int _block;
        private readonly Stopwatch _clock;
        private readonly List<TimeSpan> _crossings = [];
        private readonly Thread _thread;
        private long _next;
        private volatile bool _stop;

        public BlockClock(Func<long> delivered, int block, Stopwatch clock)
        {
            _delivered = delivered;
            _block = block;
            _clock = clock;
            _next = block;
            _thread = new Thread(Poll) { IsBackground = true, Name = "bench block clock" };
            _thread.Start();
        }

        /// <summary>Stops polling; when each complete block was acknowledged, from the start of the run.</summary>
        public IReadOnlyList<TimeSpan> Finish()
        {
            Dispose();
            return _crossings;
        }

        public void Dispose()
        {
            if (_stop) return;
            _stop = true;
            _thread.Join();
            Check();
        }

        private void Poll()
        {
            while (!_stop)
            {
                Check();
                Thread.Sleep(1);
            }
        }

        private void Check()
        {
            var delivered = _delivered();
            while (delivered >= _next)
            {
                _crossings.Add(_clock.Elapsed);
                _next += _block;
            }
        }
    }

    // ---- reporting ----

    private static string SummaryLine(string name, IReadOnlyList<Run> runs)
    {
        var later = runs.SelectMany(r => r.LaterBlockMilliseconds).Order().ToList();
        return $"{name} {Format(Median(runs.Select(r => r.MessagesPerSecond))),12} {Format(Median(runs.Select(r => r.HandOffPerSecond))),13} " +
            $"{Milliseconds(Median(runs.Select(r => r.FirstBlockMilliseconds))),12} " +
            $"{(later.Count == 0 ? "-" : Milliseconds(Percentile(later, 0.50))),22} {(later.Count == 0 ? "-" : Milliseconds(Percentile(later, 0.99))),9}";
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double Median(IEnumerable<double> values) => Median(values.Select(v => (double?)v))!.Value;

    /// <summary>The median of the values present; null when none is.</summary>
    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        if (sorted.Count == 0) return null;
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Format(double? rate) => rate is { } r ? r.ToString("N0", CultureInfo.InvariantCulture) : "-";

    private static string Milliseconds(double? ms) => ms is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";

    private static string Seconds(Run run) => run.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";
}
