using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>
/// <c>bench portal</c>: a team's load on a real portal. Starts the portal as a child process (open access on loopback,
/// its own temporary data directory and embedded broker), seeds finished results, starts long trainings and inference
/// services (with samples flowing to them), then lets simulated users browse — list results, open a result's page and
/// the API data behind it, list inferences, open one — for a set time, and reports requests per second and latency
/// percentiles per route, and every error.
/// </summary>
internal sealed class PortalBenchmark : Benchmark<PortalBenchmark.Settings>
{
    public sealed record Settings(int Users, TimeSpan Duration, TimeSpan Think, int Trainings, int Inferences, int SeedResults);

    private const int LongEpochs = 10_000; // the most a deployment may ask for
    private const int SeedEpochs = 20;
    private const int SamplesPerStream = 240;
    private const int InferenceSamplesPerSecond = 20;

    public override string Name => "portal";

    public override string Summary => "a team's load on a real portal: N users browsing results and inferences while trainings and inference services run; latency percentiles per route";

    protected override string Usage =>
        """
        usage: KafkaMl.Web bench portal [--users N] [--duration S] [--think-ms MS] [--trainings N] [--inferences N] [--seed-results N]
          --users N         simulated users browsing at once (default 50)
          --duration S      seconds of load (default 60)
          --think-ms MS     mean pause between a user's requests, uniform over 0.5x-1.5x (default 1000; 0 = no pause)
          --trainings N     long trainings (HCOPD MLP, 10,000 epochs) running during the load (default 4)
          --inferences N    inference services (1 replica, 20 samples/s each) running during the load (default 2)
          --seed-results N  finished results (HCOPD MLP, 20 epochs) the users browse besides the running ones (default 8)
        The portal is the same executable, started with --KafkaMl:Auth:Mode=open on 127.0.0.1 and stopped (with its jobs) at the end.
        """;

    protected override IReadOnlyCollection<string> Valued => ["--users", "--duration", "--think-ms", "--trainings", "--inferences", "--seed-results"];

    protected override Settings Parse(CliOptions options) => new(
        options.Int("--users", 50, min: 1, max: 10_000),
        TimeSpan.FromSeconds(options.Int("--duration", 60, min: 1, max: 86_400)),
        TimeSpan.FromMilliseconds(options.Int("--think-ms", 1000, min: 0, max: 600_000)),
        options.Int("--trainings", 4, min: 0, max: 64),
        options.Int("--inferences", 2, min: 0, max: 16),
        options.Int("--seed-results", 8, min: 1, max: 1000));

    protected override async Task<int> MeasureAsync(Settings settings, CancellationToken cancellationToken)
    {
        var dataDir = Directory.CreateTempSubdirectory("kafkaml-bench-portal-").FullName;
        await using var portal = PortalChild.Start(dataDir);
        try
        {
            return await LoadAsync(settings, portal, cancellationToken);
        }
        catch (Exception e) when (IsPortalFailure(e))
        {
            throw new BenchFailure(e.Message, $"last lines of the portal's output:\n{portal.Tail()}");
        }
        finally
        {
            await portal.DisposeAsync();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>What ends a run against the portal with its message and the portal's last output lines.</summary>
    internal static bool IsPortalFailure(Exception e) =>
        e is BenchFailure or HttpRequestException or KafkaException or SinkDeliveryException or TimeoutException or JsonException;

    private static async Task<int> LoadAsync(Settings settings, PortalChild portal, CancellationToken cancellationToken)
    {
        using var http = portal.CreateClient();
        await Progress($"portal starting at {portal.Url} (data in {portal.DataDir})");
        var setup = await SetUpAsync(portal, http, cancellationToken);
        var (api, bootstrap) = (setup.Api, setup.Bootstrap);

        await Progress($"seeding {settings.SeedResults} finished results ({SeedEpochs} epochs each)");
        var seeded = new List<int>();
        for (var i = 0; i < settings.SeedResults; i++) seeded.Add(await setup.TrainAsync(SeedEpochs, cancellationToken));
        foreach (var id in seeded) await api.WaitForResultAsync(id, s => s is "finished" or "failed" or "stopped", cancellationToken);
        var finished = (await api.GetArrayAsync("/api/results?status=finished", cancellationToken)).Select(r => r!["id"]!.GetValue<int>()).ToList();
        if (finished.Count == 0) throw new BenchFailure("no seeded training finished; see the portal's job logs.");

        await Progress($"starting {settings.Trainings} long trainings ({LongEpochs:N0} epochs each)");
        var running = new List<int>();
        for (var i = 0; i < settings.Trainings; i++)
        {
            running.Add(await setup.TrainAsync(LongEpochs, cancellationToken));
        }
        foreach (var id in running) await api.WaitForResultAsync(id, s => s is "training" or "finished" or "failed" or "stopped", cancellationToken);
        var epochsBefore = await api.EpochCountsAsync(running, cancellationToken);

        using var streams = new CancellationTokenSource();
        var inferences = new List<int>();
        var streaming = new List<Task>();
        string? inferenceProblem = null;
        if (settings.Inferences > 0)
        {
            await Progress($"starting {settings.Inferences} inference services with samples flowing");
            inferenceProblem = await api.InferenceApiProblemAsync(cancellationToken);
            if (inferenceProblem is null)
            {
                for (var i = 0; i < settings.Inferences; i++)
                {
                    var topics = (Input: $"bench-in-{i}-{Guid.NewGuid():N}", Output: $"bench-out-{i}-{Guid.NewGuid():N}");
                    var inference = await api.PostAsync("/api/inferences", new { resultId = finished[i % finished.Count], replicas = 1, inputTopic = topics.Input, outputTopic = topics.Output }, cancellationToken);
                    inferences.Add(inference.Id());
                    streaming.Add(StreamSamplesAsync(bootstrap, topics.Input, streams.Token));
                }
                foreach (var id in inferences) await api.WaitForInferenceAsync(id, cancellationToken);
            }
            else
            {
                await Console.Error.WriteLineAsync($"bench portal: {inferenceProblem}; the load runs without inference services.");
            }
        }

        var browsable = finished.Concat(running).ToArray();
        await Progress($"{settings.Users} users browsing for {settings.Duration.TotalSeconds:0} s");
        var load = await PortalUserLoad.RunAsync(http, settings, browsable, [.. inferences], cancellationToken);
        await streams.CancelAsync();
        await Task.WhenAll(streaming);
        var epochsAfter = await api.EpochCountsAsync(running, cancellationToken);

        foreach (var line in BenchText.MachineLines()) await Console.Out.WriteLineAsync(line);
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"workload:  {settings.Users} users, {settings.Duration.TotalSeconds:0} s, think time {settings.Think.TotalMilliseconds:0} ms; {finished.Count} finished results, " +
            $"{running.Count} trainings running ({epochsAfter.Sum() - epochsBefore.Sum()} epochs recorded during the load), " +
            $"{inferences.Count} inference services ({InferenceSamplesPerSecond} samples/s each)"));
        await Console.Out.WriteLineAsync();
        foreach (var line in load.Table()) await Console.Out.WriteLineAsync(line);
        if (inferenceProblem is not null)
        {
            await Console.Out.WriteLineAsync($"incomplete: {inferenceProblem}");
            return 1;
        }
        return load.Errors == 0 ? 0 : 1;
    }

    /// <summary>
    /// Waits for the portal to answer, reads its broker from <c>GET /api/status</c> and saves the HCOPD MLP with a
    /// configuration of it: what every training deployed through the portal needs.
    /// </summary>
    internal static async Task<PortalSetup> SetUpAsync(PortalChild portal, HttpClient http, CancellationToken cancellationToken)
    {
        await portal.WaitUntilReadyAsync(http, cancellationToken);
        var status = await http.GetFromJsonAsync<JsonObject>("/api/status", PortalApi.Json, cancellationToken) ?? throw new BenchFailure("GET /api/status answered nothing.");
        var bootstrap = status["kafka"]?["bootstrapServers"]?.GetValue<string>() ?? throw new BenchFailure("GET /api/status names no broker.");
        var controlTopic = status["kafka"]?["controlTopic"]?.GetValue<string>() ?? "KAFKA_ML_CONTROL_TOPIC";
        var api = new PortalApi(http);
        var model = await api.PostAsync("/api/models", new { name = "bench-hcopd-mlp", code = Hcopd.Script }, cancellationToken);
        var configuration = await api.PostAsync("/api/configurations", new { name = "bench-hcopd", modelIds = new[] { model.Id() } }, cancellationToken);
        return new PortalSetup(api, bootstrap, controlTopic, configuration.Id());
    }

    /// <summary>A portal ready for trainings: its API, its broker, and the HCOPD configuration.</summary>
    internal sealed record PortalSetup(PortalApi Api, string Bootstrap, string ControlTopic, int ConfigurationId)
    {
        /// <summary>Deploys a training of <paramref name="epochs"/> epochs and sends it its samples; returns the result's id (not waiting for it).</summary>
        public async Task<int> TrainAsync(int epochs, CancellationToken cancellationToken)
        {
            var deployment = await Api.DeployAsync(ConfigurationId, epochs, cancellationToken);
            await SendSamplesAsync(Bootstrap, ControlTopic, deployment.Id(), cancellationToken);
            return deployment.ResultIds()[0];
        }
    }

    /// <summary>HCOPD-like samples (gender, age, smoking; COPD or not) with their control message, as a user's producer would send them.</summary>
    private static async Task SendSamplesAsync(string bootstrap, string controlTopic, int deploymentId, CancellationToken cancellationToken)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = bootstrap, ControlTopic = controlTopic, Topic = $"bench-data-{deploymentId}",
            DeploymentId = deploymentId, ValidationRate = 0.1, TestRate = 0.1,
        });
        var random = new Random(deploymentId);
        for (var i = 0; i < SamplesPerStream; i++)
        {
            var sample = Sample(random);
            sink.Send(sample, [sample[1] > 60 && sample[2] > 1 ? 1f : 0f]);
        }
        await sink.CompleteAsync(cancellationToken);
    }

    private static float[] Sample(Random random) => [random.Next(2), 40 + random.Next(45), 1 + random.Next(3)];

    /// <summary>Samples to an inference's input topic at a steady rate until cancelled.</summary>
    private static Task StreamSamplesAsync(string bootstrap, string topic, CancellationToken cancellationToken) => Task.Run(async () =>
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 1 })
            .SetLogHandler((_, _) => { }).Build();
        var random = new Random(topic.GetHashCode(StringComparison.Ordinal));
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / InferenceSamplesPerSecond));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var value = new byte[12];
                Buffer.BlockCopy(Sample(random), 0, value, 0, 12);
                producer.Produce(topic, new Message<byte[]?, byte[]> { Value = value });
            }
        }
        catch (OperationCanceledException)
        {
            // The load is over.
        }
        producer.Flush(TimeSpan.FromSeconds(10));
    });

    private static Task Progress(string line) => Console.Error.WriteLineAsync($"bench portal: {line}");
}
