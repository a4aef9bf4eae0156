using System.Globalization;
using Confluent.Kafka;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Jobs.Inference;
using KafkaMl.Core.Jobs.Training;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Training;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench incremental</c>: continual learning's two costs. (a) Training: the real incremental training job reading an
/// online stream window by window against one epoch over the same samples in memory, side by side
/// (<see cref="IncrementalTrainingContenders"/>). (b) Swaps: model versions published one after another while a paced
/// stream runs through an engine that follows them (<see cref="InferenceBenchmark.MeasureVersionSwapsAsync"/>).
/// </summary>
internal sealed class IncrementalBenchmark : Benchmark<IncrementalBenchmark.Settings>
{
    public sealed record Settings(
        int Samples, int Window, int Batch, int Repeat, int Partitions, InferenceBenchmark.SwapSettings Swaps,
        string? BootstrapServers, IReadOnlyDictionary<string, string> KafkaSettings);

    /// <summary>The validation share of both training contenders (the online control message's <c>validation_rate</c>).</summary>
    public const double ValidationRate = 0.1;

    /// <summary>The target: the stream's p99 during swaps within this many times its p99 without.</summary>
    private const double SwapTarget = 2.0;

    public override string Name => "incremental";

    public override string Summary => "incremental training (windows of an online stream) against batch training in memory; model version swaps under a paced stream";

    protected override string Usage =>
        """
        usage: KafkaMl.Web bench incremental [options]
          --samples N             samples of the generated set (10 float32 features, 2 classes) (default 100000)
          --window N              the incremental job's windowSize (default 256; epochsPerWindow 1)
          --batch N               batch size of both contenders (default 64)
          --repeat N              timed repetitions of each training contender, order alternating (default 3)
          --partitions N          partitions of the data, input and output topics (default 4)
          --swaps N               model versions published one after another (default 20)
          --swap-every-ms N       between two publications (default 1500)
          --rate N                the paced stream through the engine, messages per second (default 200)
          --quiet-seconds N       the stream's windows without swaps, half before and half after (default: as long as the swaps)
          --poll-ms N             how often the replica asks the portal which version to serve (default: the replicas' 1000)
          --max-batch N           the engine's micro-batch limit (default 256)
          --bootstrap-servers H:P measure against this cluster (default: an embedded broker started in this process)
          -X KEY=VALUE            librdkafka setting for the training's producer and consumers, repeatable
        """;

    protected override IReadOnlyCollection<string> Valued =>
        ["--samples", "--window", "--batch", "--repeat", "--partitions", "--swaps", "--swap-every-ms", "--rate", "--quiet-seconds", "--poll-ms", "--max-batch",
         BenchBroker.BootstrapOption, BenchBroker.KafkaSettingOption];

    protected override Settings Parse(CliOptions options)
    {
        var swaps = options.Int("--swaps", 20, min: 1, max: 1000);
        var every = TimeSpan.FromMilliseconds(options.Int("--swap-every-ms", 1500, min: 10, max: 600_000));
        var defaultPoll = new InferenceJobOptions { Portal = VersionPortal.Address }.VersionPollInterval;
        var partitions = options.Int("--partitions", 4, min: 1, max: 1000);
        return new Settings(
            options.Int("--samples", 100_000, min: 100, max: 50_000_000),
            options.Int("--window", IncrementalSettings.DefaultWindowSize, min: 1, max: 1_000_000),
            options.Int("--batch", 64, min: 1, max: 1_000_000),
            options.Int("--repeat", 3, min: 1, max: 100),
            partitions,
            new InferenceBenchmark.SwapSettings(
                swaps, every,
                options.Int("--rate", 200, min: 1, max: 10_000),
                partitions,
                options.Int("--max-batch", 256, min: 1, max: 100_000),
                TimeSpan.FromMilliseconds(options.Int("--poll-ms", (int)defaultPoll.TotalMilliseconds, min: 10, max: 600_000)),
                options.Has("--quiet-seconds") ? TimeSpan.FromSeconds(options.Int("--quiet-seconds", 0, min: 2, max: 3_600)) : every * swaps),
            options.Get(BenchBroker.BootstrapOption),
            VerbKafkaSettings.From(options));
    }

    protected override bool IsFailure(Exception e) =>
        base.IsFailure(e) || e is InferenceSetupException or IOException or KafkaException or SinkDeliveryException;

    protected override async Task<int> MeasureAsync(Settings settings, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("kafkaml-bench-incremental-");
        try
        {
            using var broker = BenchBroker.Start(settings.BootstrapServers, settings.Partitions, settings.KafkaSettings);
            var output = Console.Out;
            foreach (var line in BenchText.MachineLines()) await output.WriteLineAsync(line);
            await output.WriteLineAsync(broker.Line(topics: "topic", partitionsWhenGiven: true));
            var loadBefore = BenchText.LoadAverage();
            var training = await MeasureTrainingAsync(settings, broker, cancellationToken);
            await ReportTrainingAsync(settings, training, cancellationToken);
            var swaps = await InferenceBenchmark.MeasureVersionSwapsAsync(settings.Swaps, broker, work.FullName, cancellationToken);
            await ReportSwapsAsync(settings, swaps, training, (loadBefore, BenchText.LoadAverage()), cancellationToken);
            return 0;
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<Contest<IncrementalTrainingRun>> MeasureTrainingAsync(Settings settings, BenchBroker broker, CancellationToken cancellationToken)
    {
        var workload = TrainingWorkload.Generated(settings.Samples, settings.Batch, epochs: 1);
        var incremental = new IncrementalSettings(StreamTimeoutMs: IncrementalTrainingContenders.StreamTimeoutMs, Indefinite: false,
            WindowSize: settings.Window, EpochsPerWindow: 1);
        var spec = workload.Spec with { Incremental = incremental };
        var output = Console.Out;
        await output.WriteLineAsync($"training:  {workload.Description}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"batch:     the samples already in memory (a SampleSet): split off {ValidationRate:0%} validation (seeded) -> standardise -> Trainer, 1 epoch, batch {settings.Batch} (validated once at its end); the model's build not timed"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"incremental: the real job (TrainingJob.RunAsync, incremental time-limited mode, in-memory portal) on the online stream produced first (OnlineRawSink's messages): StreamWindowReader (consumer, decode) -> StreamDataSource -> WindowedTrainingLoop: windows of {settings.Window}, each split {ValidationRate:0%} validation (seeded), running scaler, 1 epoch of batch {settings.Batch}, validated, reported"));
        await output.WriteLineAsync("           timed from the stream opened (consumer assigned and positioned) until the last full window was trained (fetches, decoding, the scaler, training, validation and reports included);");
        await output.WriteLineAsync("           not timed: the stream's opening (once per job: 'open' below), the last, partial window (it waits for the stream to go quiet) and the stream timeout");
        await output.WriteLineAsync("ratio:     median incremental samples/s / median batch samples/s; paired: the median of each repetition's own ratio");
        await output.FlushAsync(cancellationToken);

        var controlTopic = $"kafkaml-bench-incremental-control-{Guid.NewGuid():N}";
        var topic = $"kafkaml-bench-incremental-{Guid.NewGuid():N}";
        await broker.EnsureTopicAsync(controlTopic, 1);
        await broker.EnsureTopicAsync(topic, settings.Partitions);
        await Console.Error.WriteLineAsync($"training: producing {BenchText.Count(workload.Count)} samples as an online stream to {topic}");
        await workload.ProduceAsync(broker.BootstrapServers, topic, controlTopic, settings.KafkaSettings, cancellationToken, online: true);

        var compiler = new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = TimeSpan.FromMinutes(2), MaxConcurrentCompilations = 1, CacheSize = 1 });
        var compilation = await compiler.CompileAsync(spec.ModelCode, cancellationToken);
        if (!compilation.Success) throw new BenchFailure($"the generated model script does not compile: {compilation.ErrorSummary}");
        var samples = SampleSet.FromArrays(workload.Features, [workload.FeatureCount], workload.Labels);
        var contenders = new IncrementalTrainingContenders(compilation, samples, TrainingContenders.JobContext(
            resultId: 0, broker.BootstrapServers, controlTopic, settings.KafkaSettings, compiler)); // each run takes a result of its own

        await Console.Error.WriteLineAsync("training: untimed warm-up of each");
        await contenders.RunBatchAsync(spec, cancellationToken);
        await contenders.RunIncrementalAsync(spec, cancellationToken);
        return await Contest<IncrementalTrainingRun>.AlternateAsync(settings.Repeat, "training: ",
            new("batch", () => contenders.RunBatchAsync(spec, cancellationToken)),
            new("incremental", () => contenders.RunIncrementalAsync(spec, cancellationToken)),
            async (rep, b, i) =>
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"rep {rep}:     batch {BenchText.Seconds(b.Seconds)} ({BenchText.Count(b.SamplesPerSecond)} samples/s)   " +
                    $"incremental {BenchText.Seconds(i.Seconds)} (open {BenchText.Seconds(i.SetUp)}; {i.Windows} windows, {BenchText.Count(i.Samples)} samples: {i.WindowsPerSecond:0.0} windows/s, {BenchText.Count(i.SamplesPerSecond)} samples/s)   " +
                    $"ratio {i.SamplesPerSecond / b.SamplesPerSecond:0.00}"));
                await output.FlushAsync(cancellationToken);
            });
    }

    private static async Task ReportTrainingAsync(Settings settings, Contest<IncrementalTrainingRun> runs, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        await output.WriteLineAsync();
        await output.WriteLineAsync($"  {"training (medians)",-20} {"samples",9} {"windows",8} {"seconds",9} {"windows/s",10} {"samples/s",10}");
        foreach (var (name, list) in new[] { ("batch, 1 epoch", runs.Baseline), ($"incremental, {settings.Window}/window", runs.Candidate) })
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-20} {BenchText.Count(BenchStats.Median(list.Select(r => (double)r.Samples))),9} {BenchStats.Median(list.Select(r => (double)r.Windows)),8:0} " +
                $"{BenchStats.Median(list.Select(r => r.Seconds)),9:0.000} {BenchStats.Median(list.Select(r => r.WindowsPerSecond)),10:0.0} {BenchText.Count(BenchStats.Median(list.Select(r => r.SamplesPerSecond))),10}"));
        }
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  incremental / batch samples/s: {runs.Ratio(r => r.SamplesPerSecond):0.00} (paired {runs.PairedRatio(r => r.SamplesPerSecond):0.00}), over {settings.Repeat} repetition(s)"));
        await output.FlushAsync(cancellationToken);
    }

    private static async Task ReportSwapsAsync(
        Settings settings, InferenceBenchmark.SwapResult result, Contest<IncrementalTrainingRun> training, (string? Before, string? After) load, CancellationToken cancellationToken)
    {
        var swap = settings.Swaps;
        var output = Console.Out;
        await output.WriteLineAsync();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"swaps:     an inference engine in this process (infer's engine: micro-batches up to {swap.MaxBatch}, 1 torch thread) serving the HCOPD MLP to a paced stream of {swap.Rate} msg/s (RAW float32, keyed), {swap.Partitions} input partitions"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"           {swap.Swaps} new versions (the same script, other seeded weights) published one every {swap.Every.TotalSeconds:0.###} s by an in-memory portal; the replica's own VersionFollower asks it every {swap.PollInterval.TotalMilliseconds:0} ms (GET .../version),"));
        await output.WriteLineAsync("           fetches the weights (GET .../weights?version=N), builds and loads the module (ModelLoader) and offers it; the engine swaps between batches; each output carries modelVersion");
        await output.WriteLineAsync("           published = the portal answers the new version; the real portal's HTTP and database are not in it (nor Kubernetes); latency = handing an input to the producer -> its prediction read from the output topic");
        foreach (var line in result.Lines) await output.WriteLineAsync(line);
        foreach (var refusal in result.Refusals) await output.WriteLineAsync($"  refused: {refusal}");
        await output.WriteLineAsync(
            $"  1-minute load average {load.Before ?? "?"} before, {load.After ?? "?"} after ({Environment.ProcessorCount} cores; what runs beside the benchmark competes with it)");
        await output.WriteLineAsync();

        var served = result.Swaps.Count(s => s.FirstOutput is not null);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"result     incremental training: {training.Ratio(r => r.SamplesPerSecond):0.00}x the batch's samples/s (the issue sets no target for it)"));
        await output.WriteLineAsync(
            $"target     swaps: every version served ({served} of {swap.Swaps} reached the outputs, {result.EngineSwaps} swaps by the engine), no input lost (lost {result.Lost}, dup {result.Duplicates}): " +
            (served == swap.Swaps && result.EngineSwaps == swap.Swaps && result.Lost == 0 && result.Duplicates == 0 && result.Refusals.Count == 0 ? "met" : "NOT met"));
        var ratio = result.AroundP99 / result.QuietP99;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"target     swaps: p99 around each swap <= {SwapTarget:0}x p99 without swaps ({Ms(result.AroundP99)} vs {Ms(result.QuietP99)}: {Times(ratio)}; " +
            $"the whole swap phase's p99 {Ms(result.PhaseP99)}: {Times(result.PhaseP99 / result.QuietP99)}): {(ratio <= SwapTarget ? "met" : "NOT met")}"));
        await output.FlushAsync(cancellationToken);
    }

    private static string Times(double? ratio) => ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "x" : "-";

    private static string Ms(double? ms) => ms is { } m ? m.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-";
}
