using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using KafkaMl.Core.Broker;
using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Training;
using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Web.Cli;

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
internal static class TrainingBenchmark
{
    private const string Usage =
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

    private const string HcopdScript =
        """Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))""";

    private const string GeneratedScript =
        """Sequential(("fc1", Linear(10, 32)), ("relu", ReLU()), ("fc2", Linear(32, 2)))""";

    private const int HcopdEpochs = 500;
    private const int GeneratedEpochs = 10;
    private const int GeneratedFeatures = 10;
    private const int GeneratedSeed = 7;
    private const double Rate = 0.1;
    private const int TorchThreads = 1;
    private const double Target = 0.10;

    /// <summary>RawSink's spread without a fixed partition: consecutive blocks of this many messages per partition.</summary>
    private const int SpreadBlock = 128;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Settings settings;
        try
        {
            var options = CliOptions.Parse(args, ["--samples", "--epochs", "--batch", "--repeat", "--partitions", "--hcopd", "--bootstrap-servers", "-X"], []);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(Usage);
                return 0;
            }
            if (options.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.");
            var epochs = options.Has("--epochs") ? options.Int("--epochs", 1, min: 1, max: 100_000) : (int?)null;
            settings = new Settings(
                options.Int("--samples", 100_000, min: 100, max: 50_000_000),
                epochs ?? HcopdEpochs,
                epochs ?? GeneratedEpochs,
                options.Int("--batch", 64, min: 1, max: 1_000_000),
                options.Int("--repeat", 3, min: 1, max: 100),
                options.Int("--partitions", 4, min: 1, max: 1000),
                HcopdPath(options.Get("--hcopd") ?? Path.Combine("samples", "hcopd", "hcopd.csv")),
                options.Get("--bootstrap-servers"),
                SendRequest.KafkaSettings(options));
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"bench training: {e.Message}");
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        EmbeddedBroker? embedded = null;
        try
        {
            var workloads = new[] { Hcopd(settings), Generated(settings) };
            if (settings.BootstrapServers is null) embedded = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0, DefaultPartitions: settings.Partitions));
            var bootstrap = settings.BootstrapServers ?? embedded!.BootstrapServers;
            return await MeasureAsync(settings, workloads, bootstrap, embedded, cancellationToken);
        }
        catch (Exception e) when (e is BrokerStartException or BenchFailure or CsvSampleException or IOException or KafkaException or SinkDeliveryException)
        {
            await Console.Error.WriteLineAsync($"bench training: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench training: cancelled.");
            return 130;
        }
        finally
        {
            embedded?.Dispose();
        }
    }

    private sealed record Settings(
        int Samples, int HcopdEpochs, int GeneratedEpochs, int Batch, int Repeat, int Partitions, string HcopdPath,
        string? BootstrapServers, IReadOnlyDictionary<string, string> KafkaSettings);

    /// <summary>One data set with its model and settings; <see cref="Features"/> holds the samples one after another, in send order.</summary>
    private sealed record Workload(string Name, string Description, TrainingJobSpec Spec, float[] Features, int FeatureCount, float[] Labels)
    {
        public int Count => Labels.Length;
    }

    /// <summary>One timed run of a contender.</summary>
    /// <param name="Elapsed">Wall time of the whole run.</param>
    /// <param name="Training">The trainer's own clock: the epochs alone.</param>
    /// <param name="ControlWait">Stream: waiting on the control topic until the message was found.</param>
    /// <param name="ReadDecode">Stream: from the control message found until every message of its ranges was read and decoded.</param>
    /// <param name="TestMetrics">The test split's metrics (the same for both contenders when the runs are equivalent).</param>
    private sealed record Run(TimeSpan Elapsed, double Training, TimeSpan? ControlWait, TimeSpan? ReadDecode, IReadOnlyDictionary<string, double> TestMetrics);

    private sealed record Result(Workload Workload, TimeSpan Compile, IReadOnlyList<Run> Memory, IReadOnlyList<Run> Stream)
    {
        public double Overhead => Median(Stream.Select(r => r.Elapsed.TotalSeconds)) / Median(Memory.Select(r => r.Elapsed.TotalSeconds)) - 1;

        /// <summary>The median of each repetition's own overhead (both contenders of a repetition ran back to back, under the same load).</summary>
        public double PairedOverhead => Median(Memory.Zip(Stream, (m, s) => s.Elapsed / m.Elapsed - 1));

        public bool Met => Overhead <= Target;

        public bool SameMetrics => Memory.Concat(Stream).All(r => SameMetricsAs(r.TestMetrics, Memory[0].TestMetrics));
    }

    private sealed class BenchFailure(string message) : Exception(message);

    // ---- the run ----

    private static async Task<int> MeasureAsync(
        Settings settings, IReadOnlyList<Workload> workloads, string bootstrap, EmbeddedBroker? embedded, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        foreach (var line in BenchVerb.MachineLines()) await output.WriteLineAsync(line);
        await output.WriteLineAsync(embedded is null
            ? $"broker:    {bootstrap} (given), {settings.Partitions} partitions per data topic"
            : $"broker:    embedded, in this process (librdkafka mock cluster at {bootstrap}), {settings.Partitions} partitions per data topic");
        foreach (var workload in workloads) await output.WriteLineAsync($"workload:  {workload.Name,-10} {workload.Description}");
        await output.WriteLineAsync(
            $"both:      adam, cross-entropy, split {1 - 2 * Rate:0.0}/{Rate:0.0}/{Rate:0.0} shuffled with seed 42, standardised on the training split, {TorchThreads} TorchSharp thread, " +
            $"the same seeded initial weights; {settings.Repeat} repetition(s) per workload, order alternating, after an untimed warm-up of each (a tenth of the epochs, 1 to 20) that lets the JIT settle");
        await output.WriteLineAsync("memory:    the samples already decoded in a SampleSet, in the job's order -> build the module from the compiled script (seeded) -> split -> standardise -> Trainer.TrainAsync -> Evaluator (test split) -> save both weight files");
        await output.WriteLineAsync("stream:    TrainingJob.RunAsync, in-memory reporter: spec -> build the module -> wait for the control message (control topic read from the earliest offset) -> read its ranges and decode -> the same steps as memory");
        await output.WriteLineAsync("           (the data and its control message are produced once per workload with RawSink, before timing)");
        await output.WriteLineAsync("wait:      stream only: the control-topic consumer's start until the control message was found");
        await output.WriteLineAsync("read:      stream only: control message found until every message of its ranges was read and decoded (consumer set-up and close included)");
        await output.WriteLineAsync("overhead:  median stream / median memory - 1 (the target's measure); paired: the median of each repetition's stream / memory - 1");
        await output.FlushAsync(cancellationToken);

        var controlTopic = $"kafkaml-bench-train-control-{Guid.NewGuid():N}";
        await CreateTopicAsync(settings, embedded, bootstrap, controlTopic, 1);
        var results = new List<Result>();
        foreach (var workload in workloads)
        {
            results.Add(await MeasureAsync(settings, workload, bootstrap, embedded, controlTopic, cancellationToken));
        }

        await output.WriteLineAsync(
            $"compile:   excluded from both: the script compiled once per workload before timing, into the compiler the job uses " +
            $"({string.Join(", ", results.Select(r => $"{r.Workload.Name} {Seconds(r.Compile)}"))})");
        await output.WriteLineAsync(
            $"medians    {"workload",-10} {"samples",9} {"epochs",6} {"batch",5}  {"memory s (min-max)",-22} {"stream s (min-max)",-22} {"wait",8} {"read+decode (share)",-20} {"overhead",8} {"paired",7}");
        foreach (var result in results)
        {
            var spec = result.Workload.Spec;
            var stream = Median(result.Stream.Select(r => r.Elapsed.TotalSeconds));
            var read = Median(result.Stream.Select(r => r.ReadDecode?.TotalSeconds));
            var wait = Median(result.Stream.Select(r => r.ControlWait?.TotalSeconds));
            await output.WriteLineAsync(
                $"           {result.Workload.Name,-10} {Count(result.Workload.Count),9} {spec.Epochs,6} {spec.BatchSize,5}  {Spread(result.Memory),-22} {Spread(result.Stream),-22} " +
                $"{Seconds(wait),8} {$"{Seconds(read)} ({Percent(read / stream)})",-20} {Signed(result.Overhead),8} {Signed(result.PairedOverhead),7}");
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
                $"target     {result.Workload.Name}: stream <= memory + 10% (median overhead {Signed(result.Overhead)}): {(result.Met ? "met" : "NOT met")}");
        }
        foreach (var result in results.Where(r => !r.Met))
        {
            // What streaming itself adds, from the job's own log: the phases the memory run does not have.
            var memory = Median(result.Memory.Select(r => r.Elapsed.TotalSeconds));
            var streaming = Median(result.Stream.Select(r => r.ControlWait?.TotalSeconds)) + Median(result.Stream.Select(r => r.ReadDecode?.TotalSeconds));
            var share = streaming / memory;
            await output.WriteLineAsync(share > Target
                ? $"note:      {result.Workload.Name}: waiting for the control message and reading the data take {Seconds(streaming)}, {Percent(share)} of a training this short: " +
                  "fixed costs (consumer set-up, first fetches) dominate it" + (results.Any(r => r.Met) ? "; the larger workload meets the target" : "")
                : $"note:      {result.Workload.Name}: waiting for the control message and reading the data take only {Seconds(streaming)} ({Percent(share)} of the memory time); " +
                  $"the rest of the difference is the same training running at another speed (train medians: memory {Seconds(Median(result.Memory.Select(r => r.Training)))}, " +
                  $"stream {Seconds(Median(result.Stream.Select(r => r.Training)))}): noise from a busy machine, rerun with more --repeat");
        }
        await output.FlushAsync(cancellationToken);
        return 0;
    }

    private static async Task<Result> MeasureAsync(
        Settings settings, Workload workload, string bootstrap, EmbeddedBroker? embedded, string controlTopic, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        var name = workload.Name;

        // Untimed: the data on its topic with its control message, the samples in the job's order, the compiled script.
        var topic = $"kafkaml-bench-train-{name}-{Guid.NewGuid():N}";
        await CreateTopicAsync(settings, embedded, bootstrap, topic, settings.Partitions);
        await Console.Error.WriteLineAsync($"{name}: producing {Count(workload.Count)} samples to {topic}");
        var sent = await ProduceAsync(settings, workload, bootstrap, topic, controlTopic, cancellationToken);
        var samples = InJobOrder(workload, sent.Ranges, settings.Partitions);

        var compiler = new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = TimeSpan.FromMinutes(2), MaxConcurrentCompilations = 1, CacheSize = 1 });
        var compileClock = Stopwatch.StartNew();
        var compilation = await compiler.CompileAsync(workload.Spec.ModelCode, cancellationToken);
        compileClock.Stop();
        if (!compilation.Success) throw new BenchFailure($"the {name} model script does not compile: {compilation.ErrorSummary}");

        var warmup = workload.Spec with { Epochs = Math.Clamp(workload.Spec.Epochs / 10, 1, 20) };
        await Console.Error.WriteLineAsync($"{name}: warm-up ({warmup.Epochs} epoch(s) each)");
        await RunMemoryAsync(warmup, compilation, samples, cancellationToken);
        await RunStreamAsync(settings, warmup, compiler, bootstrap, controlTopic, cancellationToken);

        var memory = new List<Run>();
        var stream = new List<Run>();
        for (var rep = 1; rep <= settings.Repeat; rep++)
        {
            var memoryFirst = rep % 2 == 1;
            await Console.Error.WriteLineAsync($"{name}: repetition {rep}/{settings.Repeat}: {(memoryFirst ? "memory, then stream" : "stream, then memory")}");
            Run m, s;
            if (memoryFirst)
            {
                m = await RunMemoryAsync(workload.Spec, compilation, samples, cancellationToken);
                s = await RunStreamAsync(settings, workload.Spec, compiler, bootstrap, controlTopic, cancellationToken);
            }
            else
            {
                s = await RunStreamAsync(settings, workload.Spec, compiler, bootstrap, controlTopic, cancellationToken);
                m = await RunMemoryAsync(workload.Spec, compilation, samples, cancellationToken);
            }
            memory.Add(m);
            stream.Add(s);
            await output.WriteLineAsync(
                $"{name,-10} rep {rep}: memory {Seconds(m.Elapsed),8} (train {Seconds(m.Training)})   " +
                $"stream {Seconds(s.Elapsed),8} (train {Seconds(s.Training)}, wait {Seconds(s.ControlWait)}, read+decode {Seconds(s.ReadDecode)})   " +
                $"overhead {Signed(s.Elapsed / m.Elapsed - 1)}");
            await output.FlushAsync(cancellationToken);
        }
        return new Result(workload, compileClock.Elapsed, memory, stream);
    }

    // ---- the two contenders ----

    /// <summary>The training job's path after its read, on samples already in memory.</summary>
    private static async Task<Run> RunMemoryAsync(TrainingJobSpec spec, ModelCompilation compilation, SampleSet samples, CancellationToken cancellationToken)
    {
        Settle();
        var clock = Stopwatch.StartNew();
        Trainer.SeedTorch(spec.Seed);
        var definition = await ModelScriptRunner.BuildAsync(compilation, cancellationToken);
        using var model = definition.Module;
        var (settings, _) = TrainingJob.ResolveSettings(spec, definition, Rate, Rate, TorchThreads);
        var (split, scaler) = samples.Split(settings.ValidationRate, settings.TestRate, settings.Seed).Standardize();
        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation, settings, progress: null, cancellationToken);
        var test = Evaluator.Evaluate(model, split.Test, settings.Loss, settings.Metrics, cancellationToken: cancellationToken);

        var directory = Path.Combine(Path.GetTempPath(), $"kafkaml-bench-train-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            ModelWeights.Save(model, Path.Combine(directory, TrainingJob.WeightsFileName));
            ModelWeights.ExportSafeTensors(model, Path.Combine(directory, TrainingJob.SafetensorsFileName), new Dictionary<string, string>
            {
                [TrainingJob.ModelMetadataKey] = spec.ModelName,
                [TrainingJob.LossMetadataKey] = spec.Loss,
                [TrainingJob.InputShapeMetadataKey] = string.Join(' ', samples.FeatureShape),
                [TrainingJob.ScalerMetadataKey] = scaler.ToJson(),
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        clock.Stop();
        return new Run(clock.Elapsed, outcome.TrainingSeconds, null, null, test.Metrics);
    }

    /// <summary>The real training job, start to end, against data already on its topic.</summary>
    private static async Task<Run> RunStreamAsync(
        Settings settings, TrainingJobSpec spec, ModelScriptCompiler compiler, string bootstrap, string controlTopic, CancellationToken cancellationToken)
    {
        var context = new TrainingJobContext
        {
            ResultId = spec.ResultId,
            BootstrapServers = bootstrap,
            ControlTopic = controlTopic,
            TorchThreads = TorchThreads,
            StandardizeFeatures = true,
            KafkaSettings = settings.KafkaSettings,
            ModelCompiler = compiler,
            WaitLogInterval = TimeSpan.FromMinutes(10),
        };
        var reporter = new InMemoryReporter(spec);
        Settle();
        var log = new StampedLog();
        var outcome = await TrainingJob.RunAsync(context, reporter, log, cancellationToken);
        var elapsed = log.Elapsed;
        cancellationToken.ThrowIfCancellationRequested();
        if (outcome.Status != TrainingJobStatus.Finished || outcome.Result is not { } result)
            throw new BenchFailure($"the training job of {spec.ModelName} ended {outcome.Status}: {outcome.Error}{Environment.NewLine}{log}");

        // Its phases, from the job's own log lines (stamped as they were reported).
        var waiting = log.At(l => l.StartsWith("waiting for a control message", StringComparison.Ordinal));
        var found = log.At(l => l.StartsWith("control message found", StringComparison.Ordinal));
        var read = log.At(l => l.StartsWith("read ", StringComparison.Ordinal));
        return new Run(elapsed, result.TrainingSeconds, found - waiting, read - found, result.TestMetrics);
    }

    /// <summary>Collects the garbage of what ran before, so neither contender pays for the other's.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    // ---- the workloads ----

    private static Workload Hcopd(Settings settings)
    {
        var features = new List<float>();
        var labels = new List<float>();
        using (var csv = CsvSamples.Open(settings.HcopdPath, new CsvSampleOptions { Label = "Diagnosis" }))
        {
            while (csv.MoveNext())
            {
                foreach (var value in csv.Features) features.Add(value);
                labels.Add(csv.Label[0]);
            }
        }
        if (labels.Count == 0) throw new BenchFailure($"{settings.HcopdPath} holds no sample.");
        var width = features.Count / labels.Count;
        var spec = Spec(1, "hcopd", HcopdScript, batchSize: 10, settings.HcopdEpochs, learningRate: 0.01);
        return new Workload("hcopd", string.Create(CultureInfo.InvariantCulture,
                $"{Count(labels.Count)} samples x {width} float32 features ({Path.GetFileName(settings.HcopdPath)}, label Diagnosis), 2 classes; " +
                $"{HcopdScript}; lr 0.01, batch 10, {spec.Epochs} epochs (the paper's model, optimizer and batch)"),
            spec, [.. features], width, [.. labels]);
    }

    /// <summary>Two classes split by a seeded random hyperplane, with noise: normal features, learnable but not perfectly.</summary>
    private static Workload Generated(Settings settings)
    {
        var random = new Random(GeneratedSeed);
        var weights = new float[GeneratedFeatures];
        for (var j = 0; j < weights.Length; j++) weights[j] = Normal(random);
        var features = new float[settings.Samples * GeneratedFeatures];
        var labels = new float[settings.Samples];
        for (var i = 0; i < settings.Samples; i++)
        {
            var score = 0.5f * Normal(random);
            for (var j = 0; j < GeneratedFeatures; j++)
            {
                var value = Normal(random) * 2 + j;
                features[i * GeneratedFeatures + j] = value;
                score += weights[j] * (value - j);
            }
            labels[i] = score > 0 ? 1 : 0;
        }
        var spec = Spec(2, "generated", GeneratedScript, settings.Batch, settings.GeneratedEpochs, learningRate: 0.01);
        return new Workload("generated", string.Create(CultureInfo.InvariantCulture,
                $"{Count(settings.Samples)} samples x {GeneratedFeatures} float32 features, 2 classes (a seeded random hyperplane plus noise); " +
                $"{GeneratedScript}; lr 0.01, batch {spec.BatchSize}, {spec.Epochs} epochs"),
            spec, features, GeneratedFeatures, labels);

        static float Normal(Random random) =>
            (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
    }

    private static TrainingJobSpec Spec(int deploymentId, string name, string code, int batchSize, int epochs, double learningRate) => new(
        ResultId: deploymentId,
        DeploymentId: deploymentId,
        ModelId: deploymentId,
        ModelName: name,
        ModelCode: code,
        BatchSize: batchSize,
        Epochs: epochs,
        LearningRate: learningRate,
        Optimizer: "adam",
        Loss: "cross_entropy",
        Metrics: ["accuracy"],
        Shuffle: true,
        EarlyStoppingPatience: null,
        EarlyStoppingMinDelta: null,
        ValidationRate: null, // the control message's rates, as a deployment without its own
        TestRate: null,
        Seed: 42);

    // ---- the data ----

    private static async Task<SinkResult> ProduceAsync(
        Settings settings, Workload workload, string bootstrap, string topic, string controlTopic, CancellationToken cancellationToken)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = bootstrap,
            Topic = topic,
            ControlTopic = controlTopic,
            DeploymentId = workload.Spec.DeploymentId,
            Description = $"bench training: {workload.Name}",
            ValidationRate = Rate,
            TestRate = Rate,
            ProducerSettings = settings.KafkaSettings,
        }, new RawFormatConfig(RawDataType.Float32, RawDataType.Float32));
        var width = workload.FeatureCount;
        for (var i = 0; i < workload.Count; i++)
        {
            if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
            sink.Send(workload.Features.AsSpan(i * width, width), workload.Labels.AsSpan(i, 1));
        }
        var result = await sink.CompleteAsync(cancellationToken);
        if (result.Messages != workload.Count)
            throw new BenchFailure($"the {workload.Name} control message names {result.Messages} messages, not {workload.Count}.");
        return result;
    }

    /// <summary>
    /// The samples in the order the job assembles them: range after range of the control message, offsets in order.
    /// RawSink spreads consecutive blocks of <see cref="SpreadBlock"/> messages over the partitions in turn, so a
    /// partition's k-th message is the k-th sample sent to it. (The report's metrics check confirms the order.)
    /// </summary>
    private static SampleSet InJobOrder(Workload workload, IReadOnlyList<TopicRange> ranges, int partitions)
    {
        var perPartition = new Dictionary<int, List<int>>();
        for (var i = 0; i < workload.Count; i++)
        {
            var partition = i / SpreadBlock % partitions;
            if (!perPartition.TryGetValue(partition, out var list)) perPartition[partition] = list = [];
            list.Add(i);
        }
        var firstOffset = ranges.GroupBy(r => r.Partition).ToDictionary(g => g.Key, g => g.Min(r => r.Start));
        var order = new List<int>(workload.Count);
        foreach (var range in ranges)
        {
            if (!perPartition.TryGetValue(range.Partition, out var sent) || range.End - firstOffset[range.Partition] > sent.Count)
                throw new BenchFailure($"the range {range} does not fit the samples sent to partition {range.Partition}.");
            for (var offset = range.Start; offset < range.End; offset++) order.Add(sent[(int)(offset - firstOffset[range.Partition])]);
        }
        if (order.Count != workload.Count) throw new BenchFailure($"the ranges name {order.Count} samples, not {workload.Count}.");
        return SampleSet.FromArrays(workload.Features, [workload.FeatureCount], workload.Labels).Select(order.ToArray());
    }

    private static async Task CreateTopicAsync(Settings settings, EmbeddedBroker? embedded, string bootstrap, string topic, int partitions)
    {
        if (embedded is not null)
        {
            embedded.CreateTopic(topic, partitions);
            return;
        }
        var config = new AdminClientConfig { BootstrapServers = bootstrap };
        foreach (var (key, value) in settings.KafkaSettings) config.Set(key, value);
        using var admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
        try
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = -1 }]);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Already there: fine.
        }
    }

    private static string HcopdPath(string path)
    {
        var found = SendRequest.InputFile(path);
        if (File.Exists(found) || Path.IsPathRooted(path)) return found;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate)) return candidate;
        }
        throw new CliUsageException($"the HCOPD file '{path}' was not found; give its path with --hcopd.");
    }

    // ---- the job's surroundings ----

    /// <summary>The portal, in memory: serves the spec and accepts every report at once.</summary>
    private sealed class InMemoryReporter(TrainingJobSpec spec) : ITrainingReporter
    {
        public Task<TrainingJobSpec> GetSpecAsync(CancellationToken cancellationToken) => Task.FromResult(spec);

        public Task ReportStatusAsync(TrainingStatusReport report, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ReportEpochAsync(EpochReportDto report, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ReportResultAsync(TrainingResultReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>The job's log lines, each stamped with the time since the job started.</summary>
    private sealed class StampedLog : IProgress<string>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<(TimeSpan At, string Line)> _lines = [];

        public TimeSpan Elapsed => _clock.Elapsed;

        public void Report(string value)
        {
            var at = _clock.Elapsed;
            lock (_lines) _lines.Add((at, value));
        }

        /// <summary>When the first line <paramref name="match"/> accepts was reported; null when none was.</summary>
        public TimeSpan? At(Func<string, bool> match)
        {
            lock (_lines)
            {
                foreach (var (at, line) in _lines)
                    if (match(line)) return at;
            }
            return null;
        }

        public override string ToString()
        {
            lock (_lines) return string.Join(Environment.NewLine, _lines.Select(l => $"  {l.At.TotalSeconds,8:0.000} s  {l.Line}"));
        }
    }

    // ---- reporting ----

    private static bool SameMetricsAs(IReadOnlyDictionary<string, double> a, IReadOnlyDictionary<string, double> b) =>
        a.Count == b.Count && a.All(m => b.TryGetValue(m.Key, out var other) && Math.Abs(m.Value - other) <= 1e-9 * Math.Max(1, Math.Abs(m.Value)));

    private static double Median(IEnumerable<double> values) => Median(values.Select(v => (double?)v))!.Value;

    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        if (sorted.Count == 0) return null;
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string Spread(IReadOnlyList<Run> runs)
    {
        var seconds = runs.Select(r => r.Elapsed.TotalSeconds).ToList();
        return string.Create(CultureInfo.InvariantCulture, $"{Median(seconds):0.000} ({seconds.Min():0.000}-{seconds.Max():0.000})");
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan? elapsed) => Seconds(elapsed?.TotalSeconds);

    private static string Seconds(double? seconds) =>
        seconds is { } s ? s.ToString("0.000", CultureInfo.InvariantCulture) + " s" : "-";

    private static string Percent(double? share) => share is { } s ? s.ToString("0.0%", CultureInfo.InvariantCulture) : "-";

    private static string Signed(double ratio) => ratio.ToString("+0.0%;-0.0%;+0.0%", CultureInfo.InvariantCulture);
}
