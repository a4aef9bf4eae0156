using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using KafkaMl.Core.Broker;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Sinks;
using KafkaMl.Core.Training;
using TorchSharp;

namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>bench inference</c>: the Kafka-ML paper's inference table (0.079 s "normal", 0.374 s "data streams",
/// 0.335 s "streams and process isolation") measured side by side in one process tree with the HCOPD MLP,
/// plus peak throughput with 1, 2 and 4 replica processes. Latency is end to end as a client sees it: from
/// handing the input to the producer until the prediction is read from the output topic.
/// </summary>
internal static partial class InferenceBench
{
    private const string Usage =
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
        """;

    /// <summary>The paper's model (Kafka-ML's COPD example): dropout 0.2 → dense 4 sigmoid → dense 2.</summary>
    public const string HcopdScript = """Sequential(("drop", Dropout(0.2)), ("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2)))""";

    private const double PaperNormal = 0.079;
    private const double PaperStreams = 0.374;
    private const double PaperIsolation = 0.335;
    private const int Distinct = 1024;

    private sealed record Settings(
        int NormalCount, int LatencyCount, int IntervalMs, int ThroughputCount,
        IReadOnlyList<int> IsolationReplicas, IReadOnlyList<int> ThroughputReplicas,
        int Partitions, int MaxBatch, string? Data, bool RandomWeights, string? BootstrapServers);

    private sealed class BenchFailure(string message) : Exception(message);

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Settings settings;
        try
        {
            var options = CliOptions.Parse(args,
                ["--normal-count", "--latency-count", "--interval-ms", "--throughput-count", "--isolation-replicas", "--throughput-replicas",
                 "--partitions", "--max-batch", "--data", "--bootstrap-servers"],
                ["--random-weights"]);
            if (options.HelpRequested)
            {
                await Console.Out.WriteLineAsync(Usage);
                return 0;
            }
            if (options.Positionals.Count > 0) throw new CliUsageException($"unexpected argument '{options.Positionals[0]}'.");
            settings = new Settings(
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
                options.Get("--bootstrap-servers"));
        }
        catch (CliUsageException e)
        {
            await Console.Error.WriteLineAsync($"bench inference: {e.Message}");
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        var work = Directory.CreateTempSubdirectory("kafkaml-bench-inference-");
        EmbeddedBroker? embedded = null;
        try
        {
            if (settings.BootstrapServers is null) embedded = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0, DefaultPartitions: settings.Partitions));
            var bootstrap = settings.BootstrapServers ?? embedded!.BootstrapServers;
            return await MeasureAsync(settings, bootstrap, embedded, work.FullName, cancellationToken);
        }
        catch (Exception e) when (e is BrokerStartException or BenchFailure or InferenceSetupException or CsvSampleException or IOException)
        {
            await Console.Error.WriteLineAsync($"bench inference: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("bench inference: cancelled.");
            return 130;
        }
        finally
        {
            embedded?.Dispose();
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

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

    private static async Task<int> MeasureAsync(Settings settings, string bootstrap, EmbeddedBroker? embedded, string work, CancellationToken cancellationToken)
    {
        var output = Console.Out;
        foreach (var line in BenchVerb.MachineLines()) await output.WriteLineAsync(line);
        await output.WriteLineAsync(embedded is null
            ? $"broker:    {bootstrap} (given)"
            : $"broker:    embedded, in this process (librdkafka mock cluster behind {bootstrap}), {settings.Partitions} partitions per topic");

        // ---- the model: the paper's MLP, built from its script as a replica builds it ----
        TorchNative.EnsureLoadable();
        torch.set_num_threads(1);
        var scriptPath = Path.Combine(work, "hcopd.csx");
        var weightsPath = Path.Combine(work, "hcopd.weights");
        var scalerPath = Path.Combine(work, "hcopd.scaler.json");
        await File.WriteAllTextAsync(scriptPath, HcopdScript, cancellationToken);
        await Console.Error.WriteLineAsync("building the HCOPD model from its script");
        var compilation = await new ModelScriptCompiler(new ModelScriptCompilerOptions { CompileTimeout = TimeSpan.FromMinutes(5) }).CompileAsync(HcopdScript, cancellationToken);
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
        await output.WriteLineAsync($"latency:   {settings.LatencyCount} messages one every {settings.IntervalMs} ms after a warm-up, from handing the input to the producer until its prediction is read from the output topic (consumer fetch.wait.max.ms 1, linger.ms 0)");
        await output.WriteLineAsync($"replicas:  infer's engine: micro-batches up to {settings.MaxBatch}, 1 torch thread each; process replicas are 'infer' child processes (portal-free mode) in one consumer group");
        await output.FlushAsync(cancellationToken);

        // ---- (a) normal: in-process prediction of one sample ----
        await Console.Error.WriteLineAsync($"normal: {settings.NormalCount} single-sample predictions");
        var normal = MeasureNormal(module, scaler, inputs, settings.NormalCount);
        var batchMicros = MeasureBatch(module, scaler, inputs, settings.MaxBatch);

        // ---- the floor: the broker alone (produce, then consume the same topic) ----
        var rows = new List<Row>();
        var throughputs = new List<(string Name, Throughput Result)>();
        var notes = new List<string>();
        {
            var (topic, _) = NewTopics(embedded, settings.Partitions, "roundtrip");
            var roundTrip = await MeasureLatencyAsync(bootstrap, topic, topic, settings, inputs, "broker round trip", cancellationToken);
            rows.Add(new Row("broker round trip (no model)", "produce -> consume, same topic", null, roundTrip));
        }

        // ---- (b) data streams: the engine in this process, 1 replica ----
        {
            var (input, outputTopic) = NewTopics(embedded, settings.Partitions, "inproc");
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
            notes.Add($"  data streams, engine in this process: {InferVerb.StatsLine("0", engine.Stats)}");
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
            var (input, outputTopic) = NewTopics(embedded, settings.Partitions, $"p{replicas}");
            var group = $"bench-p{replicas}-{Guid.NewGuid():N}";
            await Console.Error.WriteLineAsync($"starting {replicas} infer process(es)");
            var children = Enumerable.Range(0, replicas).Select(r => Replica.Start(r, [
                "infer", "--model-script", scriptPath, "--weights", weightsPath, "--scaler", scalerPath, "--loss", "cross_entropy",
                "--model-name", "hcopd", "--input-format", "RAW", "--input-config", "{\"data_type\": \"float32\"}",
                "--input-topic", input, "--output-topic", outputTopic, "--group", group, "--bootstrap-servers", bootstrap,
                "--replica", r.ToString(CultureInfo.InvariantCulture), "--max-batch", settings.MaxBatch.ToString(CultureInfo.InvariantCulture),
                "--torch-threads", "1", "--stats-interval", "1",
            ])).ToList();
            try
            {
                await Replica.WaitForGroupAsync(children, settings.Partitions, TimeSpan.FromSeconds(180), cancellationToken);
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

        // ---- the report ----
        await output.WriteLineAsync();
        await output.WriteLineAsync($"{"scenario",-32} {"setup",-34} {"Kafka-ML (paper)",16} {"KafkaMl p50",12} {"p99",10} {"paper / ours",13}");
        await output.WriteLineAsync(
            $"{"normal",-32} {"in-process, one sample",-34} {Seconds(PaperNormal),16} {Ms(normal.P50),12} {Ms(normal.P99),10} {Ratio(PaperNormal, normal.P50),13}");
        foreach (var row in rows)
            await output.WriteLineAsync(
                $"{row.Scenario,-32} {row.Setup,-34} {(row.Paper is { } paper ? Seconds(paper) : "-"),16} {Ms(row.Latency.P50),12} {Ms(row.Latency.P99),10} {(row.Paper is { } p ? Ratio(p, row.Latency.P50) : "-"),13}");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"model alone, batches of {settings.MaxBatch}: {batchMicros:0.00} us per prediction (a ceiling of {1e6 / batchMicros:N0} predictions/s on one core)"));
        foreach (var row in rows)
        {
            var noise = row.Latency.Noise is { } n ? $"; meanwhile a 1 ms sleep in this process woke up late by up to {Ms(n.Max)} (p99 {Ms(n.P99)})" : "";
            await output.WriteLineAsync(
                $"  {row.Scenario} / {row.Setup}: {row.Latency.Count} messages, min {Ms(row.Latency.Min)}, p90 {Ms(row.Latency.P90)}, max {Ms(row.Latency.Max)}, duplicates {row.Latency.Duplicates}{noise}");
        }
        await output.WriteLineAsync("the replicas' own view after the low-rate run (latency: the input's CreateTime, whole ms, until the prediction is delivered):");
        foreach (var note in notes) await output.WriteLineAsync(note);

        if (throughputs.Count > 0)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"{"throughput",-32} {"setup",-34} {"predictions/s",16} {"messages",12} {"wall",10} {"duplicates",13}");
            foreach (var (name, t) in throughputs)
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{"throughput",-32} {name,-34} {t.PerSecond,16:N0} {t.Count,12:N0} {t.Elapsed.TotalSeconds,9:0.00}s {t.Duplicates,13:N0}"));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  blast: {settings.ThroughputCount:N0} pre-encoded messages produced as fast as the producer takes them (linger.ms 5), timed from the first produce until the last prediction is read"));
        }

        await output.WriteLineAsync();
        var streamed = rows.Where(r => r.Paper is not null).Select(r => r.Latency).ToList();
        if (streamed.Count > 0)
        {
            var worstP50 = streamed.Max(l => l.P50);
            var worstP99 = streamed.Max(l => l.P99);
            await output.WriteLineAsync($"target     end-to-end p50 < 5 ms at low rate (worst scenario {Ms(worstP50)}): {(worstP50 < 5 ? "met" : "NOT met")}");
            await output.WriteLineAsync($"target     end-to-end p99 < 20 ms at low rate (worst scenario {Ms(worstP99)}): {(worstP99 < 20 ? "met" : "NOT met")}");
        }
        if (throughputs.Count > 0)
        {
            var best = throughputs.MaxBy(t => t.Result.PerSecond);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"target     >= 20,000 predictions/s (best {best.Result.PerSecond:N0}/s with {best.Name}): {(best.Result.PerSecond >= 20_000 ? "met" : "NOT met")}"));
        }
        await output.FlushAsync(cancellationToken);
        module.Dispose();
        return 0;
    }

    // ---- inputs ----

    private static (SampleSet? Samples, string Source) LoadSamples(Settings settings)
    {
        var path = settings.Data ?? FindUp(Path.Combine("samples", "hcopd", "hcopd.csv"));
        if (path is null) return (null, "");
        var builder = SampleSet.CreateBuilder(256);
        using var csv = CsvSamples.Open(path, new CsvSampleOptions { Label = "Diagnosis" });
        while (csv.MoveNext()) builder.Add(new DecodedSample(csv.Features.ToArray(), [csv.Features.Length], csv.Label.ToArray(), [1]));
        return (builder.Build(), Path.GetRelativePath(Directory.GetCurrentDirectory(), path));
    }

    private static string? FindUp(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        return null;
    }

    /// <summary>1024 RAW values (3 float32 features each): the HCOPD rows, repeated, or plausible random rows.</summary>
    private static byte[][] InputMessages(SampleSet? samples)
    {
        var encoder = new RawEncoder(new RawFormatConfig());
        var random = new Random(7);
        var messages = new byte[Distinct][];
        Span<float> features = stackalloc float[3];
        for (var i = 0; i < Distinct; i++)
        {
            if (samples is not null) samples.FeaturesOf(i % samples.Count).CopyTo(features);
            else
            {
                features[0] = random.Next(2);
                features[1] = 40 + random.Next(45);
                features[2] = 1 + random.Next(3);
            }
            messages[i] = encoder.Encode(features, default).Value;
        }
        return messages;
    }

    private static (string Input, string Output) NewTopics(EmbeddedBroker? embedded, int partitions, string kind)
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var topics = ($"bench-infer-{kind}-in-{id}", $"bench-infer-{kind}-out-{id}");
        embedded?.CreateTopic(topics.Item1, partitions);
        embedded?.CreateTopic(topics.Item2, partitions);
        embedded?.CreateTopic(topics.Item1 + ".dlq", 1);
        return topics;
    }

    // ---- (a) normal ----

    private static Latency MeasureNormal(torch.nn.Module<torch.Tensor, torch.Tensor> module, FeatureScaler scaler, byte[][] inputs, int count)
    {
        var predictor = new InferenceModel(module, scaler, Loss.CrossEntropy);
        var decoder = new RawDecoder(new RawFormatConfig());
        var features = inputs.Select(v => decoder.Decode(default, v).Features).ToArray();
        for (var i = 0; i < Math.Min(1000, count); i++) predictor.Predict(features[i % Distinct]); // warm-up
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            predictor.Predict(features[i % Distinct]);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        return Latency.Of(times, 0);
    }

    /// <summary>Microseconds per prediction when the model predicts full micro-batches (the engine's path, no Kafka).</summary>
    private static double MeasureBatch(torch.nn.Module<torch.Tensor, torch.Tensor> module, FeatureScaler scaler, byte[][] inputs, int batch)
    {
        var model = new InferenceModel(module, scaler, Loss.CrossEntropy);
        var decoder = new RawDecoder(new RawFormatConfig());
        var rows = inputs.Select(v => decoder.Decode(default, v).Features).ToArray();
        var features = new float[batch * 3];
        var clock = new Stopwatch();
        var predicted = 0L;
        for (var round = 0; round < 400; round++)
        {
            for (var j = 0; j < batch; j++) rows[(round * batch + j) % Distinct].CopyTo(features, j * 3);
            if (round >= 100) clock.Start();
            model.Predict(features, [3], batch);
            if (round >= 100)
            {
                clock.Stop();
                predicted += batch;
            }
        }
        return clock.Elapsed.TotalMicroseconds / predicted;
    }

    // ---- (b)/(c) end-to-end latency ----

    private sealed record Row(string Scenario, string Setup, double? Paper, Latency Latency);

    private sealed record Latency(int Count, double Min, double P50, double P90, double P99, double Max, long Duplicates)
    {
        /// <summary>The scheduler's noise during the run (oversleep of a 1 ms sleep), when measured.</summary>
        public (double P99, double Max)? Noise { get; init; }

        public static Latency Of(double[] milliseconds, long duplicates)
        {
            var sorted = milliseconds.Order().ToArray();
            return new Latency(sorted.Length, sorted[0], InferenceStats.Percentile(sorted, 0.50), InferenceStats.Percentile(sorted, 0.90),
                InferenceStats.Percentile(sorted, 0.99), sorted[^1], duplicates);
        }
    }

    private static async Task<Latency> MeasureLatencyAsync(
        string bootstrap, string input, string output, Settings settings, byte[][] inputs, string name, CancellationToken cancellationToken)
    {
        var warmup = Math.Clamp(settings.LatencyCount / 10, 5, 100);
        var total = warmup + settings.LatencyCount;
        var sent = new long[total];
        var received = new long[total];
        await Console.Error.WriteLineAsync($"{name}: {warmup} warm-up + {settings.LatencyCount} messages, one every {settings.IntervalMs} ms");

        using var reader = OutputReader(bootstrap, output);
        var seq0 = NextSequence(total);
        long duplicates = 0;
        var got = 0;
        using var stopReading = new CancellationTokenSource();
        using var primed = new ManualResetEventSlim();
        var readerThread = new Thread(() =>
        {
            while (!stopReading.IsCancellationRequested && Volatile.Read(ref got) < total)
            {
                var result = reader.Consume(20);
                if (result is null) continue;
                var now = Stopwatch.GetTimestamp();
                var sequence = BinaryPrimitives.ReadInt64LittleEndian(result.Message.Key);
                if (sequence == PrimingKey) primed.Set();
                var index = sequence - seq0;
                if (index < 0 || index >= total) continue;
                if (received[index] != 0) duplicates++;
                else
                {
                    received[index] = now;
                    Interlocked.Increment(ref got);
                }
            }
        }) { IsBackground = true, Name = "bench latency reader" };
        readerThread.Start();
        using var noise = new SchedulerNoise();

        using (var producer = new ProducerBuilder<byte[], byte[]>(KafkaMl.Core.Streaming.KafkaClientConfig.LowLatencyProducer(bootstrap, "kafkaml-bench-latency")).Build())
        {
            // Before anything is timed: the producer connected (with its idempotent producer id) and the pipeline
            // answered once (a replica's first prediction pays for JIT compilation).
            var ready = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(ready, PrimingKey);
            await producer.ProduceAsync(input, new Message<byte[], byte[]> { Key = ready, Value = inputs[0] }, cancellationToken);
            if (!primed.Wait(TimeSpan.FromSeconds(60), cancellationToken))
                throw new BenchFailure($"{name}: no answer to a first message within 60 s.");
            // A thread of its own: sleeping on a thread-pool thread would starve the embedded broker's forwarder.
            await OnOwnThreadAsync(() =>
            {
                for (var i = 0; i < total; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var key = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(key, seq0 + i);
                    var message = new Message<byte[], byte[]> { Key = key, Value = inputs[i % Distinct] };
                    sent[i] = Stopwatch.GetTimestamp();
                    producer.Produce(input, message);
                    if (settings.IntervalMs > 0) Thread.Sleep(settings.IntervalMs);
                }
            }, "bench latency sender");
            var deadline = Stopwatch.StartNew();
            while (Volatile.Read(ref got) < total && deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Delay(10, cancellationToken);
            }
            producer.Flush(TimeSpan.FromSeconds(10));
        }
        stopReading.Cancel();
        readerThread.Join();
        reader.Close();
        if (got < total) throw new BenchFailure($"{name}: only {got} of {total} predictions arrived within 60 s of the last input.");
        var times = new double[settings.LatencyCount];
        for (var i = 0; i < times.Length; i++)
            times[i] = Stopwatch.GetElapsedTime(sent[warmup + i], received[warmup + i]).TotalMilliseconds;
        return Latency.Of(times, duplicates) with { Noise = noise.Stop() };
    }

    /// <summary>
    /// How late a thread that sleeps 1 ms wakes up, sampled during a latency run: the machine's own scheduling
    /// noise (other processes competing for the cores), which no pipeline can be faster than.
    /// </summary>
    private sealed class SchedulerNoise : IDisposable
    {
        private readonly List<double> _late = new(8192);
        private readonly Thread _thread;
        private volatile bool _stop;

        public SchedulerNoise()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    var start = Stopwatch.GetTimestamp();
                    Thread.Sleep(1);
                    _late.Add(Math.Max(0, Stopwatch.GetElapsedTime(start).TotalMilliseconds - 1));
                }
            }) { IsBackground = true, Name = "bench scheduler noise" };
            _thread.Start();
        }

        /// <summary>p99 and max of the oversleep, in ms.</summary>
        public (double P99, double Max) Stop()
        {
            Dispose();
            if (_late.Count == 0) return (0, 0);
            var sorted = _late.Order().ToArray();
            return (InferenceStats.Percentile(sorted, 0.99), sorted[^1]);
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }

    /// <summary>The key of the message that primes a latency run (never a sequence number).</summary>
    private const long PrimingKey = -1;

    private static long _sequence;

    /// <summary>A fresh range of sequence numbers (keys) so runs on the same topics never mix.</summary>
    private static long NextSequence(int count) => Interlocked.Add(ref _sequence, count + 1_000) - count;

    /// <summary>A consumer of every output partition from its current end: only predictions made from now on are read.</summary>
    private static IConsumer<byte[], byte[]> OutputReader(string bootstrap, string output)
    {
        var config = KafkaMl.Core.Streaming.KafkaClientConfig.LowLatencyConsumer(bootstrap, $"bench-reader-{Guid.NewGuid():N}", "kafkaml-bench-reader");
        config.EnableAutoCommit = false;
        var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(output, TimeSpan.FromSeconds(20)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
        if (partitions.Count == 0) throw new BenchFailure($"the output topic {output} has no partitions.");
        consumer.Assign(partitions.Select(p =>
            new TopicPartitionOffset(output, p, consumer.QueryWatermarkOffsets(new TopicPartition(output, p), TimeSpan.FromSeconds(20)).High)));
        return consumer;
    }

    // ---- (d) throughput ----

    private sealed record Throughput(long Count, TimeSpan Elapsed, long Duplicates)
    {
        public double PerSecond => Count / Elapsed.TotalSeconds;
    }

    private static async Task<Throughput> MeasureThroughputAsync(
        string bootstrap, string input, string output, Settings settings, byte[][] inputs, CancellationToken cancellationToken)
    {
        var count = settings.ThroughputCount;
        var seen = new bool[count];
        var seq0 = NextSequence(count);
        var keys = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            keys[i] = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(keys[i], seq0 + i);
        }
        using var reader = OutputReader(bootstrap, output);
        long got = 0;
        long duplicates = 0;
        var clock = new Stopwatch();
        var readerThread = new Thread(() =>
        {
            var deadline = Stopwatch.StartNew();
            while (got < count && deadline.Elapsed < TimeSpan.FromMinutes(10))
            {
                var result = reader.Consume(50);
                if (result is null) continue;
                var index = BinaryPrimitives.ReadInt64LittleEndian(result.Message.Key) - seq0;
                if (index < 0 || index >= count) continue;
                if (seen[index]) duplicates++;
                else
                {
                    seen[index] = true;
                    if (++got == count) clock.Stop();
                }
            }
        }) { IsBackground = true, Name = "bench throughput reader" };

        var config = KafkaMl.Core.Streaming.KafkaClientConfig.Producer(bootstrap, "kafkaml-bench-blast");
        config.LingerMs = 5;
        config.QueueBufferingMaxMessages = 1_000_000;
        config.QueueBufferingMaxKbytes = 1024 * 1024;
        config.DeliveryReportFields = "none";
        using var producer = new ProducerBuilder<byte[], byte[]>(config).Build();
        clock.Start();
        readerThread.Start();
        await OnOwnThreadAsync(() =>
        {
            for (var i = 0; i < count; i++)
            {
                if ((i & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                var message = new Message<byte[], byte[]> { Key = keys[i], Value = inputs[i % Distinct] };
                while (true)
                {
                    try
                    {
                        producer.Produce(input, message);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        Thread.Sleep(1);
                    }
                }
            }
            producer.Flush(cancellationToken);
        }, "bench blast sender");
        while (readerThread.IsAlive) await Task.Delay(20, cancellationToken);
        reader.Close();
        if (got < count) throw new BenchFailure($"throughput: only {got:N0} of {count:N0} predictions arrived within 10 minutes.");
        return new Throughput(count, clock.Elapsed, duplicates);
    }

    /// <summary>Runs blocking work on a dedicated thread, never on the thread pool (where the embedded broker relays).</summary>
    private static Task OnOwnThreadAsync(Action work, string name)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                work();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }

    // ---- report helpers ----

    private static string Seconds(double s) => s.ToString("0.000", CultureInfo.InvariantCulture) + " s";

    private static string Ms(double ms) => ms < 0.1
        ? ms.ToString("0.000", CultureInfo.InvariantCulture) + " ms"
        : ms.ToString("0.00", CultureInfo.InvariantCulture) + " ms";

    private static string Ratio(double paperSeconds, double oursMs) =>
        (paperSeconds * 1000 / oursMs).ToString("N0", CultureInfo.InvariantCulture) + "x";

    private sealed class CallbackProgress(Action<InferenceProgress> onReport) : IProgress<InferenceProgress>
    {
        public void Report(InferenceProgress value) => onReport(value);
    }

    // ---- replica processes ----

    /// <summary>An <c>infer</c> child process of this executable, watched through its stdout lines.</summary>
    private sealed partial class Replica : IDisposable
    {
        private readonly Process _process;
        private readonly Lock _gate = new();
        private readonly Queue<string> _tail = new();
        private int[] _holds = [];
        private long _changed = Stopwatch.GetTimestamp();

        private Replica(int index, Process process)
        {
            Index = index;
            _process = process;
        }

        public int Index { get; }

        public IReadOnlyList<int> Holds
        {
            get { lock (_gate) return _holds; }
        }

        public TimeSpan Stable => Stopwatch.GetElapsedTime(Interlocked.Read(ref _changed));

        public bool HasExited => _process.HasExited;

        /// <summary>The last captured line starting with <paramref name="prefix"/>, if any.</summary>
        public string? LastLine(string prefix)
        {
            lock (_gate) return _tail.LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        }

        public string Tail
        {
            get { lock (_gate) return string.Join(Environment.NewLine, _tail); }
        }

        public static Replica Start(int index, IReadOnlyList<string> args)
        {
            var host = Environment.ProcessPath ?? "dotnet";
            var info = new ProcessStartInfo(host)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            if (Path.GetFileNameWithoutExtension(host) == "dotnet") info.ArgumentList.Add(typeof(InferenceBench).Assembly.Location);
            foreach (var arg in args) info.ArgumentList.Add(arg);
            info.Environment["DOTNET_NOLOGO"] = "1";
            var process = new Process { StartInfo = info };
            var replica = new Replica(index, process);
            process.OutputDataReceived += (_, e) => replica.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => replica.OnLine(e.Data);
            if (!process.Start()) throw new BenchFailure("could not start an infer process.");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return replica;
        }

        /// <summary>Waits until the replicas hold every partition between them, each holds one (when there are enough), and nothing changed for a second.</summary>
        public static async Task WaitForGroupAsync(IReadOnlyList<Replica> replicas, int partitions, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (replicas.FirstOrDefault(r => r.HasExited) is { } dead)
                    throw new BenchFailure($"infer replica {dead.Index} exited early:{Environment.NewLine}{dead.Tail}");
                var holds = replicas.Select(r => r.Holds).ToList();
                var union = holds.SelectMany(h => h).Distinct().Count();
                var everyone = replicas.Count > partitions || holds.All(h => h.Count > 0);
                if (union == partitions && everyone && replicas.All(r => r.Stable > TimeSpan.FromSeconds(1))) return;
                if (clock.Elapsed > timeout)
                    throw new BenchFailure($"the {replicas.Count} infer replicas did not share the {partitions} partitions within {timeout.TotalSeconds:0} s:{Environment.NewLine}{string.Join(Environment.NewLine, replicas.Select(r => r.Tail))}");
                await Task.Delay(100, cancellationToken);
            }
        }

        public async Task StopAsync(TimeSpan timeout)
        {
            try
            {
                if (_process.HasExited) return;
                _ = SysKill(_process.Id, 15);
                using var cts = new CancellationTokenSource(timeout);
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Not started or already gone.
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }

        private void OnLine(string? line)
        {
            if (line is null) return;
            lock (_gate)
            {
                _tail.Enqueue(line);
                while (_tail.Count > 30) _tail.Dequeue();
                if (HoldsPattern().Match(line) is { Success: true } match)
                {
                    _holds = match.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                    Interlocked.Exchange(ref _changed, Stopwatch.GetTimestamp());
                }
            }
        }

        [GeneratedRegex(@"^replica \d+ (?:assigned|revoked|lost) .*holds \[([0-9, ]*)\]")]
        private static partial Regex HoldsPattern();

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int SysKill(int pid, int signal);
    }
}
