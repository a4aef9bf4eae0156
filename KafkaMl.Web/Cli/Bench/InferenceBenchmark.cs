using KafkaMl.Core.Jobs.Inference;
using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Training;
using TorchSharp;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench inference</c>: the Kafka-ML paper's inference table (0.079 s "normal", 0.374 s "data streams",
/// 0.335 s "streams and process isolation") measured side by side in one process tree with the HCOPD MLP,
/// plus peak throughput with 1, 2 and 4 replica processes. Latency is end to end as a client sees it: from
/// handing the input to the producer until the prediction is read from the output topic.
/// </summary>
internal sealed partial class InferenceBenchmark : Benchmark<InferenceBenchmark.Settings>
{
    public sealed record Settings(
        int NormalCount, int LatencyCount, int IntervalMs, int ThroughputCount,
        IReadOnlyList<int> IsolationReplicas, IReadOnlyList<int> ThroughputReplicas,
        int Partitions, int MaxBatch, string? Data, bool RandomWeights, string? BootstrapServers,
        IReadOnlyList<string> Scenarios, bool SkipTable, int PacedRate, int WindowSeconds, int ColdSamples);

    /// <summary>The model a replica process loads: its script, weights and feature scaler, as files.</summary>
    private sealed record ModelFiles(string Script, string Weights, string Scaler);

    private const double PaperNormal = 0.079;
    private const double PaperStreams = 0.374;
    private const double PaperIsolation = 0.335;
    private const int Distinct = 1024;

    public override string Name => "inference";

    public override string Summary => "streaming inference latency (the paper's normal / data streams / process isolation) and throughput with 1, 2, 4 replicas";

    protected override string Usage =>
        """
        usage: KafkaMl.Web bench inference [options]
          --normal-count N          single-sample in-process predictions timed (default 10000)
          --latency-count N         messages per end-to-end latency run, after a warm-up (default 1000)
          --interval-ms N           pause between latency messages (default 5: a low rate)
          --throughput-count N      messages blasted per throughput run (default 200000)
          --isolation-replicas L    replica processes for the isolated latency runs (default 1,2)
          --throughput-replicas L   replica processes for the throughput runs (default 1,2,4)
          --partitions N            partitions of the input and output topics (default 4)
          --max-batch N             the replicas' micro-batch limit (default 256)
          --data FILE               HCOPD CSV to train on (default: samples/hcopd/hcopd.csv found above this directory)
          --random-weights          skip training: random weights (prediction costs the same)
          --bootstrap-servers H:P   measure against this cluster (default: an embedded broker started in this process)
          --scenarios L             also run readiness scenarios: cold (deploy through a real portal), scale (2 -> 4 -> 2
                                    replicas), loss (SIGKILL one of 2); a comma list or 'all' (default: none)
          --skip-table              run only the scenarios, not the paper's table and the throughput runs
          --paced-rate N            the scenarios' paced stream, messages per second (default 50)
          --window-seconds N        the scenarios' window after each event, and of the steady state (default 30)
          --cold-samples N          samples timed right after 'running' in the cold start (default 500)
        """;

    protected override IReadOnlyCollection<string> Valued =>
        ["--normal-count", "--latency-count", "--interval-ms", "--throughput-count", "--isolation-replicas", "--throughput-replicas",
         "--partitions", "--max-batch", "--data", BenchBroker.BootstrapOption, "--scenarios", "--paced-rate", "--window-seconds", "--cold-samples"];

    protected override IReadOnlyCollection<string> Flags => ["--random-weights", "--skip-table"];

    protected override Settings Parse(CliOptions options)
    {
        var scenarios = ScenarioList(options);
        var skipTable = options.Flag("--skip-table");
        if (skipTable && scenarios.Count == 0)
            throw new CliUsageException("--skip-table leaves nothing to run without --scenarios (cold, scale, loss or all).");
        return new(
            options.Int("--normal-count", 10_000, min: 1),
            options.Int("--latency-count", 1_000, min: 1),
            options.Int("--interval-ms", 5, min: 0, max: 10_000),
            options.Int("--throughput-count", 200_000, min: 1),
            ReplicaList(options, "--isolation-replicas", [1, 2]),
            ReplicaList(options, "--throughput-replicas", [1, 2, 4]),
            options.Int("--partitions", 4, min: 1, max: 1000),
            options.Int("--max-batch", 256, min: 1, max: 100_000),
            options.Get("--data"),
            options.Flag("--random-weights"),
            options.Get(BenchBroker.BootstrapOption),
            scenarios,
            skipTable,
            options.Int("--paced-rate", 50, min: 1, max: 10_000),
            options.Int("--window-seconds", 30, min: 1, max: 3_600),
            options.Int("--cold-samples", 500, min: 1, max: 1_000_000));
    }

    protected override bool IsFailure(Exception e) =>
        base.IsFailure(e) || e is InferenceSetupException or CsvSampleException or IOException;

    private static IReadOnlyList<int> ReplicaList(CliOptions options, string name, int[] fallback)
    {
        if (options.Get(name) is not { } text) return fallback;
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 0 || n > 64)
                throw new CliUsageException($"{name} takes a comma list of replica counts (1..64), not '{text}'.");
            if (n > 0 && !list.Contains(n)) list.Add(n);
        }
        return list;
    }

    protected override async Task<int> MeasureAsync(Settings settings, CancellationToken cancellationToken)
    {
        var work = Directory.CreateTempSubdirectory("kafkaml-bench-inference-");
        try
        {
            using var broker = BenchBroker.Start(settings.BootstrapServers, settings.Partitions);
            return await MeasureAsync(settings, broker, work.FullName, cancellationToken);
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<int> MeasureAsync(Settings settings, BenchBroker broker, string work, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        foreach (var line in BenchText.MachineLines()) await output.WriteLineAsync(line);
        await output.WriteLineAsync(broker.Line(topics: "topic", preposition: "behind"));

        // ---- the model: the paper's MLP, built from its script as a replica builds it ----
        TorchNative.EnsureLoadable();
        torch.set_num_threads(1);
        var scriptPath = Path.Combine(work, "hcopd.csx");
        var weightsPath = Path.Combine(work, "hcopd.weights");
        var scalerPath = Path.Combine(work, "hcopd.scaler.json");
        await File.WriteAllTextAsync(scriptPath, Hcopd.Script, cancellationToken);
        await Console.Error.WriteLineAsync("building the HCOPD model from its script");
        var compilation = await new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = TimeSpan.FromMinutes(5) }).CompileAsync(Hcopd.Script, cancellationToken);
        Trainer.SeedTorch(42);
        var module = (await ModelScriptRunner.BuildAsync(compilation, cancellationToken)).Module;

        var (samples, source) = LoadSamples(settings);
        string modelLine;
        FeatureScaler scaler;
        if (samples is not null && !settings.RandomWeights)
        {
            var trainSettings = new TrainingSettings
            {
                Optimizer = Optimizer.Adam, Loss = Loss.CrossEntropy, LearningRate = 0.01, BatchSize = 10, Epochs = 50,
                ValidationRate = 0.1, TestRate = 0.1, Seed = 42, TorchThreads = 1,
            };
            var (split, fitted) = samples.Split(trainSettings.ValidationRate, trainSettings.TestRate, trainSettings.Seed).Standardize();
            var outcome = await Trainer.TrainAsync(module, split.Train, split.Validation, trainSettings, null, cancellationToken);
            var test = Evaluator.Evaluate(module, split.Test, Loss.CrossEntropy, [MetricNames.Accuracy]);
            scaler = fitted;
            modelLine = string.Create(CultureInfo.InvariantCulture,
                $"model:     HCOPD MLP (dropout 0.2 -> Linear(3,4) -> sigmoid -> Linear(4,2)), trained here on {source} ({samples.Count} rows, 50 epochs Adam lr 0.01, {outcome.TrainingSeconds:0.0} s, test accuracy {test.Metrics[MetricNames.Accuracy]:0.00}), standardised features");
        }
        else
        {
            scaler = samples is not null ? FeatureScaler.Fit(samples) : new FeatureScaler([0.5f, 60f, 2f], [0.5f, 10f, 0.8f]);
            modelLine = $"model:     HCOPD MLP (dropout 0.2 -> Linear(3,4) -> sigmoid -> Linear(4,2)) with random weights (seed 42; prediction costs the same as trained){(samples is null ? "; no HCOPD data found" : "")}";
        }
        ModelWeights.Save(module, weightsPath);
        scaler.Save(scalerPath);
        await output.WriteLineAsync(modelLine);

        var inputs = InputMessages(samples);
        await output.WriteLineAsync("messages:  RAW, 3 float32 features (12-byte value), 8-byte key = sequence number; predictions are JSON ({\"values\": [...], \"prediction\": ...})");
        if (!settings.SkipTable)
            await output.WriteLineAsync($"latency:   {settings.LatencyCount} messages one every {settings.IntervalMs} ms after a warm-up, from handing the input to the producer until its prediction is read from the output topic (consumer fetch.wait.max.ms 1, linger.ms 0)");
        await output.WriteLineAsync($"replicas:  infer's engine: micro-batches up to {settings.MaxBatch}, 1 torch thread each; process replicas are 'infer' child processes (portal-free mode) in one consumer group");
        await output.FlushAsync(cancellationToken);

        var files = new ModelFiles(scriptPath, weightsPath, scalerPath);
        if (!settings.SkipTable) await MeasureTableAsync(settings, broker, module, scaler, inputs, files, cancellationToken);
        module.Dispose();
        return settings.Scenarios.Count == 0 ? 0 : await MeasureScenariosAsync(settings, broker, inputs, files, cancellationToken);
    }

    /// <summary>The paper's table beside ours and the throughput runs.</summary>
    private static async Task MeasureTableAsync(
        Settings settings, BenchBroker broker, torch.nn.Module<torch.Tensor, torch.Tensor> module, FeatureScaler scaler, byte[][] inputs,
        ModelFiles files, CancellationToken cancellationToken)
    {
        var bootstrap = broker.BootstrapServers;

        // ---- (a) normal: in-process prediction of one sample ----
        await Console.Error.WriteLineAsync($"normal: {settings.NormalCount} single-sample predictions");
        var normal = MeasureNormal(module, scaler, inputs, settings.NormalCount);
        var batchMicros = MeasureBatch(module, scaler, inputs, settings.MaxBatch);

        // ---- the floor: the broker alone (produce, then consume the same topic) ----
        var rows = new List<Row>();
        var throughputs = new List<(string Name, Throughput Result)>();
        var notes = new List<string>();
        {
            var (topic, _) = NewTopics(broker, settings.Partitions, "roundtrip");
            var roundTrip = await MeasureLatencyAsync(bootstrap, topic, topic, settings, inputs, "broker round trip", cancellationToken);
            rows.Add(new Row("broker round trip (no model)", "produce -> consume, same topic", null, roundTrip));
        }

        // ---- (b) data streams: the engine in this process, 1 replica ----
        {
            var (input, outputTopic) = NewTopics(broker, settings.Partitions, "inproc");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var engineModel = new InferenceModel(module, scaler, Loss.CrossEntropy);
            var engine = new InferenceEngine(engineModel, new RawDecoder(new RawFormatConfig()), new InferenceEngineOptions
            {
                BootstrapServers = bootstrap,
                InputTopic = input,
                OutputTopic = outputTopic,
                ConsumerGroup = $"bench-inproc-{Guid.NewGuid():N}",
                ModelName = "hcopd",
                MaxBatch = settings.MaxBatch,
            });
            var progress = new CallbackProgress(p =>
            {
                if (p.Assignment.Count == settings.Partitions) ready.TrySetResult();
            });
            var run = engine.RunAsync(progress, stop.Token);
            await Console.Error.WriteLineAsync("data streams: engine in this process, waiting for its partitions");
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            var latency = await MeasureLatencyAsync(bootstrap, input, outputTopic, settings, inputs, "data streams (in-process engine)", cancellationToken);
            rows.Add(new Row("data streams", "1 replica, engine in this process", PaperStreams, latency));
            notes.Add($"  data streams, engine in this process: {InferenceJobLines.Stats("0", engine.Stats)}");
            if (settings.ThroughputReplicas.Count > 0)
            {
                await Console.Error.WriteLineAsync("throughput: engine in this process");
                throughputs.Add(("in-process engine, 1 replica", await MeasureThroughputAsync(bootstrap, input, outputTopic, settings, inputs, cancellationToken)));
            }
            await stop.CancelAsync();
            await run;
        }

        // ---- (c)/(d) replicas as separate processes ----
        foreach (var replicas in settings.IsolationReplicas.Union(settings.ThroughputReplicas).Order())
        {
            var (input, outputTopic) = NewTopics(broker, settings.Partitions, $"p{replicas}");
            var group = $"bench-p{replicas}-{Guid.NewGuid():N}";
            await Console.Error.WriteLineAsync($"starting {replicas} infer process(es)");
            var children = Enumerable.Range(0, replicas).Select(r => StartReplica(r, files, input, outputTopic, group, broker, settings)).ToList();
            try
            {
                await InferenceReplica.WaitForGroupAsync(children, settings.Partitions, TimeSpan.FromSeconds(180), cancellationToken);
                foreach (var child in children)
                    if (child.Startup is { } startup)
                        notes.Add($"  {replicas} process(es), {startup}");
                if (settings.IsolationReplicas.Contains(replicas))
                {
                    var latency = await MeasureLatencyAsync(bootstrap, input, outputTopic, settings, inputs, $"isolation ({replicas} process(es))", cancellationToken);
                    rows.Add(new Row("streams and process isolation", $"{replicas} replica process{(replicas == 1 ? "" : "es")}", PaperIsolation, latency));
                    await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken); // the replicas print their stats every second
                    foreach (var child in children)
                        if (child.LastLine($"replica {child.Index} stats: ") is { } stats)
                            notes.Add($"  process isolation, {replicas} process(es): {stats}");
                }
                if (settings.ThroughputReplicas.Contains(replicas))
                {
                    await Console.Error.WriteLineAsync($"throughput: {replicas} replica process(es)");
                    throughputs.Add(($"{replicas} replica process{(replicas == 1 ? "" : "es")}", await MeasureThroughputAsync(bootstrap, input, outputTopic, settings, inputs, cancellationToken)));
                }
            }
            finally
            {
                await Task.WhenAll(children.Select(c => c.StopAsync(TimeSpan.FromSeconds(30))));
                foreach (var child in children) child.Dispose();
            }
        }

        await ReportAsync(settings, normal, batchMicros, rows, notes, throughputs, cancellationToken);
    }

    /// <summary>An <c>infer</c> child process (portal-free mode) of the model in <paramref name="files"/>, in <paramref name="group"/>.</summary>
    private static InferenceReplica StartReplica(
        int index, ModelFiles files, string input, string output, string group, BenchBroker broker, Settings settings) =>
        InferenceReplica.Start(index, [
            JobVerbs.Infer, "--model-script", files.Script, "--weights", files.Weights, "--scaler", files.Scaler, "--loss", "cross_entropy",
            "--model-name", "hcopd", "--input-format", "RAW", "--input-config", "{\"data_type\": \"float32\"}",
            "--input-topic", input, "--output-topic", output, "--group", group, "--bootstrap-servers", broker.BootstrapServers,
            "--replica", index.ToString(CultureInfo.InvariantCulture), "--max-batch", settings.MaxBatch.ToString(CultureInfo.InvariantCulture),
            "--torch-threads", "1", "--stats-interval", "1",
            "--group-protocol", broker.IsEmbedded ? "consumer" : "classic",
        ]);

    private static IReadOnlyList<string> ScenarioList(CliOptions options)
    {
        var text = options.Get("--scenarios");
        if (text is null or "none") return [];
        if (text == "all") return Scenario.All;
        var list = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Scenario.All.Contains(part))
                throw new CliUsageException($"--scenarios takes a comma list of {string.Join(", ", Scenario.All)} (or all, none), not '{text}'.");
            if (!list.Contains(part)) list.Add(part);
        }
        return list;
    }

    private sealed class CallbackProgress(Action<InferenceProgress> onReport) : IProgress<InferenceProgress>
    {
        public void Report(InferenceProgress value) => onReport(value);
    }
}
