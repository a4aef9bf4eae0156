using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Training;
using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench training</c>: training from a stream against training the same samples already in memory, on HCOPD
/// and on a larger generated set, side by side in one run. "memory" takes the decoded samples as a
/// <see cref="SampleSet"/> through the training job's own path after its read (build the module, split,
/// standardise, <see cref="Trainer"/>, <see cref="Evaluator"/>, save the weights); "stream" is the real job
/// (<see cref="TrainingJob.RunAsync"/> with an in-memory reporter) on data produced once with
/// <see cref="RawSink"/>: control-message wait, range read and decode, then the same steps.
/// </summary>
/// <remarks>
/// The model script is compiled once per workload, before timing, into a compiler both contenders use (the job
/// through <see cref="TrainingJobContext.ModelCompiler"/>), so Roslyn's compile time is excluded from both; each
/// contender still builds its module from the script, seeded, inside its time. Both train with the same
/// settings (<see cref="TrainingJob.ResolveSettings"/>), one TorchSharp thread, and samples in the same order,
/// so both end with identical test metrics (the report checks).
/// </remarks>
internal sealed class TrainingBenchmark : Benchmark<TrainingBenchmark.Settings>
{
    public sealed record Settings(
        int Samples, int HcopdEpochs, int GeneratedEpochs, int Batch, int Repeat, int Partitions, string HcopdPath,
        string? BootstrapServers, IReadOnlyDictionary<string, string> KafkaSettings);

    /// <summary>The target: streaming adds at most this share to the training's wall time.</summary>
    private const double Target = 0.10;

    public override string Name => "training";

    public override string Summary => "training from a stream (the real training job) side by side with the same samples already in memory, HCOPD and a generated set";

    protected override string Usage =>
        """
        usage: KafkaMl.Web bench training [--samples N] [--epochs N] [--batch N] [--repeat N] [--partitions N] [--hcopd PATH] [--bootstrap-servers H:P] [-X KEY=VALUE]...
          --samples N             samples of the generated workload (default 100000)
          --epochs N              epochs of both workloads (default: HCOPD 500, generated 10)
          --batch N               batch size of the generated workload (default 64; HCOPD keeps the paper's 10)
          --repeat N              timed repetitions of each contender per workload, order alternating (default 3)
          --partitions N          partitions of each data topic (default 4)
          --hcopd PATH            the HCOPD CSV (default samples/hcopd/hcopd.csv, looked up from here and from the executable)
          --bootstrap-servers H:P measure against this cluster (default: an embedded broker started in this process)
          -X KEY=VALUE            librdkafka setting for the producer and the job's consumers, repeatable
        """;

    protected override IReadOnlyCollection<string> Valued =>
        ["--samples", "--epochs", "--batch", "--repeat", "--partitions", "--hcopd", BenchBroker.BootstrapOption, BenchBroker.KafkaSettingOption];

    protected override Settings Parse(CliOptions options)
    {
        var epochs = options.Has("--epochs") ? options.Int("--epochs", 1, min: 1, max: 100_000) : (int?)null;
        return new Settings(
            options.Int("--samples", 100_000, min: 100, max: 50_000_000),
            epochs ?? TrainingWorkload.HcopdEpochs,
            epochs ?? TrainingWorkload.GeneratedEpochs,
            options.Int("--batch", 64, min: 1, max: 1_000_000),
            options.Int("--repeat", 3, min: 1, max: 100),
            options.Int("--partitions", 4, min: 1, max: 1000),
            HcopdPath(options.Get("--hcopd") ?? Hcopd.DefaultCsv),
            options.Get(BenchBroker.BootstrapOption),
            VerbKafkaSettings.From(options));
    }

    protected override bool IsFailure(Exception e) =>
        base.IsFailure(e) || e is CsvSampleException or IOException or KafkaException or SinkDeliveryException;

    private static string HcopdPath(string path) =>
        Hcopd.Find(path) ?? (Path.IsPathRooted(path) ? path : throw new CliUsageException($"the HCOPD file '{path}' was not found; give its path with --hcopd."));

    /// <summary>One workload's figures: the untimed compile, then every repetition of memory (baseline) and stream (candidate).</summary>
    private sealed record Result(TrainingWorkload Workload, TimeSpan Compile, Contest<TrainingRun> Runs)
    {
        public IReadOnlyList<TrainingRun> Memory => Runs.Baseline;

        public IReadOnlyList<TrainingRun> Stream => Runs.Candidate;

        public double Overhead => Runs.Ratio(r => r.Elapsed.TotalSeconds) - 1;

        /// <summary>The median of each repetition's own overhead (both contenders of a repetition ran back to back, under the same load).</summary>
        public double PairedOverhead => Runs.PairedRatio(r => r.Elapsed.TotalSeconds) - 1;

        public bool Met => Overhead <= Target;

        public bool SameMetrics => Memory.Concat(Stream).All(r => SameMetricsAs(r.TestMetrics, Memory[0].TestMetrics));
    }

    protected override async Task<int> MeasureAsync(Settings settings, CancellationToken cancellationToken)
    {
        var workloads = new[] { TrainingWorkload.Hcopd(settings.HcopdPath, settings.HcopdEpochs), TrainingWorkload.Generated(settings.Samples, settings.Batch, settings.GeneratedEpochs) };
        using var broker = BenchBroker.Start(settings.BootstrapServers, settings.Partitions, settings.KafkaSettings);
        var output = Console.Out;
        foreach (var line in BenchText.MachineLines()) await output.WriteLineAsync(line);
        await output.WriteLineAsync(broker.Line(partitionsWhenGiven: true));
        foreach (var workload in workloads) await output.WriteLineAsync($"workload:  {workload.Name,-10} {workload.Description}");
        await output.WriteLineAsync(
            $"both:      adam, cross-entropy, split {1 - 2 * TrainingContenders.Rate:0.0}/{TrainingContenders.Rate:0.0}/{TrainingContenders.Rate:0.0} shuffled with seed 42, standardised on the training split, {TrainingContenders.TorchThreads} TorchSharp thread, " +
            $"the same seeded initial weights; {settings.Repeat} repetition(s) per workload, order alternating, after an untimed warm-up of each (a tenth of the epochs, 1 to 20) that lets the JIT settle");
        await output.WriteLineAsync("memory:    the samples already decoded in a SampleSet, in the job's order -> build the module from the compiled script (seeded) -> split -> standardise -> Trainer.TrainAsync -> Evaluator (test split) -> save both weight files");
        await output.WriteLineAsync("stream:    TrainingJob.RunAsync, in-memory reporter: spec -> build the module -> wait for the control message (control topic read from the earliest offset) -> read its ranges and decode -> the same steps as memory");
        await output.WriteLineAsync("           (the data and its control message are produced once per workload with RawSink, before timing)");
        await output.WriteLineAsync("wait:      stream only: the control-topic consumer's start until the control message was found");
        await output.WriteLineAsync("read:      stream only: control message found until every message of its ranges was read and decoded (consumer set-up and close included)");
        await output.WriteLineAsync("overhead:  median stream / median memory - 1 (the target's measure); paired: the median of each repetition's stream / memory - 1");
        await output.FlushAsync(cancellationToken);

        var controlTopic = $"kafkaml-bench-train-control-{Guid.NewGuid():N}";
        await broker.EnsureTopicAsync(controlTopic, 1);
        var results = new List<Result>();
        foreach (var workload in workloads)
        {
            results.Add(await MeasureAsync(settings, workload, broker, controlTopic, cancellationToken));
        }
        await ReportAsync(results, cancellationToken);
        return 0;
    }

    private static async Task<Result> MeasureAsync(
        Settings settings, TrainingWorkload workload, BenchBroker broker, string controlTopic, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        var name = workload.Name;

        // Untimed: the data on its topic with its control message, the samples in the job's order, the compiled script.
        var topic = $"kafkaml-bench-train-{name}-{Guid.NewGuid():N}";
        await broker.EnsureTopicAsync(topic, settings.Partitions);
        await Console.Error.WriteLineAsync($"{name}: producing {BenchText.Count(workload.Count)} samples to {topic}");
        var sent = await workload.ProduceAsync(broker.BootstrapServers, topic, controlTopic, settings.KafkaSettings, cancellationToken);
        var samples = workload.InJobOrder(sent.Ranges, settings.Partitions);

        var compiler = new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = TimeSpan.FromMinutes(2), MaxConcurrentCompilations = 1, CacheSize = 1 });
        var compileClock = Stopwatch.StartNew();
        var compilation = await compiler.CompileAsync(workload.Spec.ModelCode, cancellationToken);
        compileClock.Stop();
        if (!compilation.Success) throw new BenchFailure($"the {name} model script does not compile: {compilation.ErrorSummary}");
        var contenders = new TrainingContenders(compilation, samples, TrainingContenders.JobContext(workload.Spec.ResultId, broker.BootstrapServers, controlTopic, settings.KafkaSettings, compiler));

        var warmup = workload.Spec with { Epochs = Math.Clamp(workload.Spec.Epochs / 10, 1, 20) };
        await Console.Error.WriteLineAsync($"{name}: warm-up ({warmup.Epochs} epoch(s) each)");
        await contenders.RunMemoryAsync(warmup, cancellationToken);
        await contenders.RunStreamAsync(warmup, cancellationToken);

        var runs = await Contest<TrainingRun>.AlternateAsync(settings.Repeat, $"{name}: ",
            new("memory", () => contenders.RunMemoryAsync(workload.Spec, cancellationToken)),
            new("stream", () => contenders.RunStreamAsync(workload.Spec, cancellationToken)),
            async (rep, m, s) =>
            {
                await output.WriteLineAsync(
                    $"{name,-10} rep {rep}: memory {BenchText.Seconds(m.Elapsed),8} (train {BenchText.Seconds(m.Training)})   " +
                    $"stream {BenchText.Seconds(s.Elapsed),8} (train {BenchText.Seconds(s.Training)}, wait {BenchText.Seconds(s.ControlWait)}, read+decode {BenchText.Seconds(s.ReadDecode)})   " +
                    $"overhead {BenchText.Signed(s.Elapsed / m.Elapsed - 1)}");
                await output.FlushAsync(cancellationToken);
            });
        return new Result(workload, compileClock.Elapsed, runs);
    }

    private static async Task ReportAsync(IReadOnlyList<Result> results, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        await output.WriteLineAsync(
            $"compile:   excluded from both: the script compiled once per workload before timing, into the compiler the job uses " +
            $"({string.Join(", ", results.Select(r => $"{r.Workload.Name} {BenchText.Seconds(r.Compile)}"))})");
        await output.WriteLineAsync(
            $"medians    {"workload",-10} {"samples",9} {"epochs",6} {"batch",5}  {"memory s (min-max)",-22} {"stream s (min-max)",-22} {"wait",8} {"read+decode (share)",-20} {"overhead",8} {"paired",7}");
        foreach (var result in results)
        {
            var spec = result.Workload.Spec;
            var stream = BenchStats.Median(result.Stream.Select(r => r.Elapsed.TotalSeconds));
            var read = BenchStats.Median(result.Stream.Select(r => r.ReadDecode?.TotalSeconds));
            var wait = BenchStats.Median(result.Stream.Select(r => r.ControlWait?.TotalSeconds));
            await output.WriteLineAsync(
                $"           {result.Workload.Name,-10} {BenchText.Count(result.Workload.Count),9} {spec.Epochs,6} {spec.BatchSize,5}  {Spread(result.Memory),-22} {Spread(result.Stream),-22} " +
                $"{BenchText.Seconds(wait),8} {$"{BenchText.Seconds(read)} ({BenchText.Percent(read / stream)})",-20} {BenchText.Signed(result.Overhead),8} {BenchText.Signed(result.PairedOverhead),7}");
        }
        await output.WriteLineAsync("paper:     Kafka-ML, HCOPD: training 27.37 s; with data streams 29.61 s (+8%); with data streams and containers 31.44 s (+15%)");
        foreach (var result in results)
        {
            var metrics = string.Join(", ", result.Memory[0].TestMetrics.Select(m => $"{m.Key} {m.Value.ToString("0.####", CultureInfo.InvariantCulture)}"));
            await output.WriteLineAsync(result.SameMetrics
                ? $"results:   {result.Workload.Name}: the same test metrics in every run of both ({metrics})"
                : $"results:   {result.Workload.Name}: the test metrics DIFFER between runs (memory's first: {metrics}); the contenders did not train on the same tensors");
        }
        foreach (var result in results)
        {
            await output.WriteLineAsync(
                $"target     {result.Workload.Name}: stream <= memory + 10% (median overhead {BenchText.Signed(result.Overhead)}): {(result.Met ? "met" : "NOT met")}");
        }
        foreach (var result in results.Where(r => !r.Met))
        {
            // What streaming itself adds, from the job's own log: the phases the memory run does not have.
            var memory = BenchStats.Median(result.Memory.Select(r => r.Elapsed.TotalSeconds));
            var streaming = BenchStats.Median(result.Stream.Select(r => r.ControlWait?.TotalSeconds)) + BenchStats.Median(result.Stream.Select(r => r.ReadDecode?.TotalSeconds));
            var share = streaming / memory;
            await output.WriteLineAsync(share > Target
                ? $"note:      {result.Workload.Name}: waiting for the control message and reading the data take {BenchText.Seconds(streaming)}, {BenchText.Percent(share)} of a training this short: " +
                  "fixed costs (consumer set-up, first fetches) dominate it" + (results.Any(r => r.Met) ? "; the larger workload meets the target" : "")
                : $"note:      {result.Workload.Name}: waiting for the control message and reading the data take only {BenchText.Seconds(streaming)} ({BenchText.Percent(share)} of the memory time); " +
                  $"the rest of the difference is the same training running at another speed (train medians: memory {BenchText.Seconds(BenchStats.Median(result.Memory.Select(r => r.Training)))}, " +
                  $"stream {BenchText.Seconds(BenchStats.Median(result.Stream.Select(r => r.Training)))}): noise from a busy machine, rerun with more --repeat");
        }
        await output.FlushAsync(cancellationToken);
    }

    private static bool SameMetricsAs(IReadOnlyDictionary<string, double> a, IReadOnlyDictionary<string, double> b) =>
        a.Count == b.Count && a.All(m => b.TryGetValue(m.Key, out var other) && Math.Abs(m.Value - other) <= 1e-9 * Math.Max(1, Math.Abs(m.Value)));

    private static string Spread(IReadOnlyList<TrainingRun> runs)
    {
        var seconds = runs.Select(r => r.Elapsed.TotalSeconds).ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{BenchStats.Median(seconds):0.000} ({seconds.Min():0.000}-{seconds.Max():0.000})");
    }
}
