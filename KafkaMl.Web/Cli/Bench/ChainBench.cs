using Confluent.Kafka;
using System.Diagnostics;
using System.Globalization;
using KafkaMl.Core.Chains;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Jobs.Inference;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;
using KafkaMl.Core.Training;
using ModelBuilder = KafkaMl.Core.Scripting.ModelBuilder;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>The parts of <see cref="ChainBenchmark"/>: the trained chain, the engines of both deployments, the timed round trips and the table.</summary>
internal static class ChainBench
{
    private const int Seed = 42;

    /// <summary>The chain as trained: its weights (to build each engine's instance), scaler, trade-off and the unscaled test rows.</summary>
    public sealed record Trained(string WeightsPath, FeatureScaler Scaler, IReadOnlyList<ExitTradeOffRow> TradeOff, ExitAnswers Answers, IReadOnlyList<float[]> TestRows, IReadOnlyList<long> UpwardBytes);

    /// <summary>Stage 1's input and the answers live on the edge; stages 2, 3 and the single-stage deployment on the cloud.</summary>
    public sealed record Topics(string Name)
    {
        public string In => $"{Name}-in";
        public string Out => $"{Name}-out";
        public string Stage(int k) => $"{Name}-in-stage{k}";
        public string SingleIn => $"{Name}-single-in";
        public string SingleOut => $"{Name}-single-out";
        public IReadOnlyList<string> Edge => [In, Out];
        public IReadOnlyList<string> Cloud => [Stage(2), Stage(3), SingleIn, SingleOut];
    }

    public sealed record RunningEngine(string Name, InferenceEngine Engine, Task Run);

    public sealed record Engines(IReadOnlyList<RunningEngine> Stages, RunningEngine Single)
    {
        public IEnumerable<RunningEngine> All => [.. Stages, Single];
    }

    /// <summary>One input's trip: the deployment, the exit that answered, milliseconds from produce to the answer read.</summary>
    public sealed record Trip(bool Chain, int Exit, double Ms);

    public static async Task<Trained> TrainAsync(int samples, int epochs, CancellationToken cancellationToken)
    {
        using var chain = await BuildAsync(cancellationToken);
        var split = EasyAndHardSamples.Set(samples, seed: 11).Split(0.1, 0.3, Seed);
        var rows = Enumerable.Range(0, split.Test.Count).Select(i => split.Test.Features.Slice(i * split.Test.FeatureSize, split.Test.FeatureSize).ToArray()).ToList();
        var (scaled, scaler) = split.Standardize();
        var settings = new TrainingSettings { Epochs = epochs, BatchSize = 32, LearningRate = 0.01, Seed = Seed, ValidationRate = 0.1, TestRate = 0.3 };
        await ChainJointTraining.TrainAsync(chain, scaled.Train, scaled.Validation, settings, cancellationToken);
        var answers = ChainJointTraining.Answer(chain, settings.Loss, scaled.Test, cancellationToken) ?? throw new BenchFailure("The chain's exits give no class probabilities.");
        var upward = ChainCheck.Inspect(chain, [EasyAndHardSamples.Features]).Where(s => s.UpwardShape is not null).Select(s => s.UpwardShape!.Skip(1).Aggregate(1L, (a, b) => a * b) * sizeof(float)).ToList();
        var weights = Path.Combine(Path.GetTempPath(), $"kafkaml-bench-chain-{Guid.NewGuid():N}.dat");
        ModelWeights.Save(chain, weights);
        return new Trained(weights, scaler!, ExitTradeOff.Rows(answers), answers, rows, upward);
    }

    private static async Task<EarlyExitChain> BuildAsync(CancellationToken cancellationToken) =>
        (EarlyExitChain)(await ModelBuilder.BuildAsync(EasyAndHardSamples.Script, null, Seed, cancellationToken)).Module;

    /// <summary>Its own instance of the trained chain per engine (each stage module owns and disposes its chain).</summary>
    private static async Task<InferenceModel> LoadAsync(Trained trained, CancellationToken cancellationToken)
    {
        var chain = await BuildAsync(cancellationToken);
        ModelWeights.Load(chain, trained.WeightsPath);
        return new InferenceModel(chain, trained.Scaler, Core.Domain.Loss.CrossEntropy, [EasyAndHardSamples.Features]);
    }

    public static async Task<Engines> StartAsync(Trained trained, double threshold, string edge, string cloud, Topics topics, CancellationToken cancellationToken)
    {
        var decoder = DataFormats.CreateDecoder("RAW", """{"data_type": "float32"}""");
        var stages = new List<RunningEngine>();
        for (var k = 1; k <= 3; k++)
        {
            var spec = new ChainStageSpec(k, 3, k < 3 ? threshold : null, k == 1 ? edge : cloud, edge, k < 3 ? topics.Stage(k + 1) : null, k < 3 ? cloud : null, [EasyAndHardSamples.Features]);
            var model = ChainStageSetup.Stage(await LoadAsync(trained, cancellationToken), spec);
            stages.Add(Start($"stage {k}", model, decoder, Options(k == 1 ? edge : cloud, k == 1 ? topics.In : topics.Stage(k), topics.Out, $"{topics.Name}-stage{k}")
                with { Chain = ChainStageSetup.Role(spec, cloud) }, cancellationToken));
        }
        var single = Start("single stage", await LoadAsync(trained, cancellationToken), decoder, Options(cloud, topics.SingleIn, topics.SingleOut, $"{topics.Name}-single"), cancellationToken);
        return new Engines(stages, single);
    }

    private static InferenceEngineOptions Options(string bootstrap, string input, string output, string group) => new()
    {
        BootstrapServers = bootstrap,
        InputTopic = input,
        OutputTopic = output,
        ConsumerGroup = group,
        ModelName = "chain",
        SessionTimeoutMs = KafkaClientConfig.EmbeddedReplicaSessionTimeoutMs,
    };

    private static RunningEngine Start(string name, InferenceModel model, IDataDecoder decoder, InferenceEngineOptions options, CancellationToken cancellationToken)
    {
        var engine = new InferenceEngine(model, decoder, options);
        return new RunningEngine(name, engine, engine.RunAsync(null, cancellationToken));
    }

    public static async Task WaitAssignedAsync(Engines engines, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (engines.All.Any(e => e.Engine.Assignment.Count == 0))
        {
            if (engines.All.FirstOrDefault(e => e.Run.IsFaulted) is { } failed) throw new BenchFailure($"The {failed.Name} engine failed: {failed.Run.Exception!.InnerException!.Message}");
            if (clock.Elapsed > TimeSpan.FromMinutes(1)) throw new BenchFailure("The engines got no partitions within a minute.");
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Each input to the chain, then to the single stage, each awaited until its answer is read (one warm-up trip each first, not counted).</summary>
    public static async Task<IReadOnlyList<Trip>> MeasureAsync(IReadOnlyList<float[]> inputs, string edge, string cloud, Topics topics, CancellationToken cancellationToken)
    {
        using var chain = new RoundTrip(edge, topics.In, topics.Out);
        using var single = new RoundTrip(cloud, topics.SingleIn, topics.SingleOut);
        await chain.SendAsync("warm-up", inputs[0], cancellationToken);
        await single.SendAsync("warm-up", inputs[0], cancellationToken);
        var trips = new List<Trip>(inputs.Count * 2);
        for (var i = 0; i < inputs.Count; i++)
        {
            var (exit, ms) = await chain.SendAsync($"c{i}", inputs[i], cancellationToken);
            trips.Add(new Trip(true, exit, ms));
            (exit, ms) = await single.SendAsync($"s{i}", inputs[i], cancellationToken);
            trips.Add(new Trip(false, exit, ms));
        }
        return trips;
    }

    public static async Task ReportAsync(TextWriter output, IReadOnlyList<Trip> trips, Engines engines, Trained trained, int inputs)
    {
        var chain = trips.Where(t => t.Chain).ToList();
        var forwarded = chain.Count(t => t.Exit >= 2) * trained.UpwardBytes[0] + chain.Count(t => t.Exit >= 3) * trained.UpwardBytes[1];
        var edgeToCloud = chain.Count(t => t.Exit >= 2) * trained.UpwardBytes[0];
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"upward:    stage 1 hands up {trained.UpwardBytes[0]} B (float32), stage 2 {trained.UpwardBytes[1]} B; an input is {EasyAndHardSamples.Features * sizeof(float)} B"));
        await output.WriteLineAsync();
        await output.WriteLineAsync("| deployment | exit | answered | p50 ms | p99 ms | bytes forwarded per sample | to the cloud per sample |");
        await output.WriteLineAsync("| --- | --- | --- | --- | --- | --- | --- |");
        for (var k = 1; k <= 3; k++)
        {
            var at = chain.Where(t => t.Exit == k).Select(t => t.Ms).ToList();
            await output.WriteLineAsync($"| chain (3 stages) | {k} | {BenchText.Percent(at.Count / (double)inputs)} | {Ms(at, 0.5)} | {Ms(at, 0.99)} | | |");
        }
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"| chain (3 stages) | all | 100% | {Ms([.. chain.Select(t => t.Ms)], 0.5)} | {Ms([.. chain.Select(t => t.Ms)], 0.99)} | {forwarded / (double)inputs:0.0} B | {edgeToCloud / (double)inputs:0.0} B |"));
        var whole = trips.Where(t => !t.Chain).Select(t => t.Ms).ToList();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"| single stage (cloud) | final | 100% | {Ms(whole, 0.5)} | {Ms(whole, 0.99)} | 0 B | {EasyAndHardSamples.Features * sizeof(float)} B (the input) |"));
        var stats = engines.Stages.Select(e => $"{e.Name}: in {e.Engine.Stats.MessagesIn}, answered {e.Engine.Stats.Answered}, forwarded {e.Engine.Stats.Forwarded}");
        await output.WriteLineAsync();
        await output.WriteLineAsync($"engines:   {string.Join("; ", stats)} (warm-up included)");
    }

    private static string Ms(List<double> values, double p)
    {
        if (values.Count == 0) return "-";
        values.Sort();
        return BenchStats.Percentile(values, p).ToString("0.00", CultureInfo.InvariantCulture);
    }

    /// <summary>One deployment's input and answer topics: produce one input, read until its answer comes back.</summary>
    private sealed class RoundTrip : IDisposable
    {
        private readonly IProducer<byte[]?, byte[]> _producer;
        private readonly IConsumer<byte[]?, byte[]> _consumer;
        private readonly string _input;

        public RoundTrip(string bootstrap, string input, string output)
        {
            _input = input;
            _producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 0, SocketNagleDisable = true }).Build();
            _consumer = new ConsumerBuilder<byte[]?, byte[]>(KafkaClientConfig.LowLatencyConsumer(bootstrap, $"bench-reader-{Guid.NewGuid():N}", "bench-reader")).Build();
            // From the current end, resolved now: an answer must not land before a lazily resolved "end".
            var end = _consumer.QueryWatermarkOffsets(new TopicPartition(output, 0), TimeSpan.FromSeconds(10)).High;
            _consumer.Assign(new TopicPartitionOffset(output, 0, end));
        }

        public async Task<(int Exit, double Ms)> SendAsync(string key, float[] features, CancellationToken cancellationToken)
        {
            var value = new byte[features.Length * sizeof(float)];
            Buffer.BlockCopy(features, 0, value, 0, value.Length);
            var clock = Stopwatch.StartNew();
            _producer.Produce(_input, new Message<byte[]?, byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(key), Value = value });
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new BenchFailure($"No answer to input {key} within 30 s.");
                var record = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (record?.Message.Key is not { } bytes || System.Text.Encoding.UTF8.GetString(bytes) != key) continue;
                var ms = clock.Elapsed.TotalMilliseconds;
                return (PredictionMessage.Parse(record.Message.Value).Exit ?? 3, ms);
            }
        }

        public void Dispose()
        {
            _producer.Flush(TimeSpan.FromSeconds(5));
            _producer.Dispose();
            _consumer.Close();
            _consumer.Dispose();
        }
    }
}
