using KafkaMl.Tests.Inference;

namespace KafkaMl.Tests.Telemetry;

/// <summary>
/// A real inference service of the metrics portal: an inference row, its topics on the portal's embedded broker, and one
/// replica in the test process (the engine the <c>infer</c> verb runs, consuming from that broker in the service's
/// consumer group) posting its stats to the portal every 200 ms with the inference's job token. The replica can be
/// paused: its consuming thread then blocks before decoding the next input, so it falls behind without leaving the group.
/// </summary>
public sealed class MetricsServiceRun : IAsyncDisposable
{
    private readonly IDisposable _module;
    private readonly PausableDecoder _decoder = new(new RawDecoder(new RawFormatConfig()));
    private readonly CancellationTokenSource _stop = new();
    private readonly InferencePortalClient _client;
    private readonly Task _engineRun;
    private readonly Task _reporterRun;

    private MetricsServiceRun(MetricsPortalFactory portal, int inferenceId, string inputTopic)
    {
        InferenceId = inferenceId;
        InputTopic = inputTopic;
        Replica = $"metrics-{Guid.NewGuid():N}"[..16]; // unique in the process: the series of other portals never mix in
        var module = InferenceModels.Hcopd();
        _module = module;
        Engine = new InferenceEngine(InferenceModels.Served(module), _decoder, new InferenceEngineOptions
        {
            BootstrapServers = portal.Broker.BootstrapServers,
            InputTopic = inputTopic,
            OutputTopic = $"{inputTopic}-out",
            ConsumerGroup = InferenceOrchestrator.ConsumerGroup(inferenceId),
            Replica = Replica,
        });
        var token = portal.Services.GetRequiredService<JobTokens>().ForInference(inferenceId);
        _client = new InferencePortalClient(portal.Server.BaseAddress, inferenceId, token, portal.Server.CreateHandler());
        var reporter = new InferenceReporter(_client, Engine.Stats.Snapshot, TimeSpan.FromMilliseconds(200));
        _engineRun = Engine.RunAsync(null, _stop.Token);
        _reporterRun = reporter.RunAsync(_stop.Token);
    }

    public int InferenceId { get; }

    public string InputTopic { get; }

    public string Replica { get; }

    public InferenceEngine Engine { get; }

    /// <summary>Seeds a deployed inference reading a new <paramref name="partitions"/>-partition topic and starts its replica.</summary>
    public static async Task<MetricsServiceRun> StartAsync(MetricsPortalFactory portal, int partitions = 2)
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var topic = $"metrics-in-{Guid.NewGuid():N}"[..24];
        portal.Broker.CreateTopic(topic, partitions);
        portal.Broker.CreateTopic($"{topic}-out", partitions);
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        var inference = new KafkaMl.Core.Domain.Inference
        {
            ResultId = resultId, Replicas = 1, InputFormat = "RAW", InputConfig = "{}", InputTopic = topic, OutputTopic = $"{topic}-out",
            Status = InferenceStatus.Deployed, StatusChanged = DateTimeOffset.UtcNow, InputPartitions = partitions,
        };
        db.Inferences.Add(inference);
        await db.SaveChangesAsync();
        return new MetricsServiceRun(portal, inference.Id, topic);
    }

    /// <summary>Writes inputs <paramref name="from"/> .. <paramref name="from"/> + <paramref name="count"/> - 1 to the input topic.</summary>
    public async Task SendAsync(MetricsPortalFactory portal, int from, int count)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = portal.Broker.BootstrapServers, LingerMs = 1 })
            .SetLogHandler((_, _) => { }).Build();
        await Task.WhenAll(Enumerable.Range(from, count).Select(i => producer.ProduceAsync(InputTopic, InferenceInputs.Message(i)))).WaitAsync(Eventually.Patience);
    }

    /// <summary>The replica stops taking inputs (it stays in its group) until <see cref="Resume"/>.</summary>
    public void Pause() => _decoder.Running.Reset();

    public void Resume() => _decoder.Running.Set();

    public async ValueTask DisposeAsync()
    {
        Resume();
        await _stop.CancelAsync();
        await Task.WhenAll(_engineRun, _reporterRun).WaitAsync(Eventually.Patience);
        _client.Dispose();
        _module.Dispose();
        _stop.Dispose();
        _decoder.Running.Dispose();
    }

    private sealed class PausableDecoder(IDataDecoder inner) : IDataDecoder
    {
        public ManualResetEventSlim Running { get; } = new(initialState: true);

        public string Format => inner.Format;

        public DecodedSample Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            Running.Wait();
            return inner.Decode(key, value);
        }
    }
}
