using System.Net.Sockets;
using KafkaMl.Core.Broker;
using KafkaMl.Tests.EndToEnd;

namespace KafkaMl.Tests.Resilience;

/// <summary>
/// A real portal process whose Kafka is a broker this test process owns (so the specs can cut its connections, and
/// the data outlives a portal restart), on a fixed loopback port and data directory (so a restarted portal is the same
/// portal to the jobs it left running). Training jobs are the portal's real <c>train</c> child processes.
/// </summary>
public sealed class ResiliencePortal : IAsyncLifetime
{
    private readonly int _port = FreePort();

    public EmbeddedBroker Broker { get; } = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));

    public string DataDir { get; } = Directory.CreateTempSubdirectory("kafkaml-resilience-").FullName;

    public KafkaMlProcess Portal { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string ControlTopic => "KAFKA_ML_CONTROL_TOPIC";

    public async Task InitializeAsync()
    {
        Broker.CreateTopic(ControlTopic, partitions: 1);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(60) };
        await StartPortalAsync();
    }

    /// <summary>Kills the portal process alone (SIGKILL, as a crash would; its jobs keep running) and starts it again.</summary>
    public async Task KillAndRestartPortalAsync(TimeSpan down)
    {
        using (var portal = System.Diagnostics.Process.GetProcessById(Portal.Id)) portal.Kill(entireProcessTree: false);
        await Portal.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Portal.Dispose();
        await Task.Delay(down);
        await StartPortalAsync();
    }

    private async Task StartPortalAsync()
    {
        Portal = KafkaMlProcess.Start(
            [$"--urls=http://127.0.0.1:{_port}", $"--KafkaMl:DataDir={DataDir}", $"--KafkaMl:Kafka:BootstrapServers={Broker.BootstrapServers}", "--KafkaMl:Auth:Mode=open"],
            new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });
        await Portal.WaitForLineAsync(l => l.Contains("KafkaMl portal listening on"), Eventually.Patience);
    }

    public async Task<T> PostAsync<T>(string path, object body)
    {
        using var response = await Http.PostAsJsonAsync(path, body, PortalProcessFixture.Json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, PortalProcessFixture.Json)!;
    }

    public async Task<T> GetAsync<T>(string path) => (await Http.GetFromJsonAsync<T>(path, PortalProcessFixture.Json))!;

    /// <summary>Model, configuration and deployment of the HCOPD MLP (Adam 0.01, batch 10, seed 42).</summary>
    public async Task<DeploymentResponse> DeployHcopdAsync(int epochs)
    {
        var name = $"resilience-{Guid.NewGuid():N}";
        var model = await PostAsync<ModelResponse>("/api/models", new { name, code = TrainingPipelineSpecs.HcopdMlp });
        var configuration = await PostAsync<ConfigurationResponse>("/api/configurations", new { name, modelIds = new[] { model.Id } });
        return await PostAsync<DeploymentResponse>("/api/deployments", new
        {
            configurationId = configuration.Id, batchSize = 10, epochs, learningRate = 0.01, optimizer = "adam",
            loss = "cross_entropy", metrics = new[] { "accuracy" }, seed = 42,
        });
    }

    /// <summary>Sends the HCOPD sample (239 rows) and its control message for <paramref name="deploymentId"/>.</summary>
    public async Task<SinkResult> SendHcopdAsync(int deploymentId)
    {
        using var sink = new RawSink(new KafkaSinkOptions
        {
            BootstrapServers = Broker.BootstrapServers, ControlTopic = ControlTopic, Topic = $"resilience-data-{Guid.NewGuid():N}",
            DeploymentId = deploymentId, ValidationRate = 0.1, TestRate = 0.1,
        });
        using var csv = CsvSamples.Open(Path.Combine(KafkaMlProcess.RepoRoot, "samples", "hcopd", "hcopd.csv"), new CsvSampleOptions { Label = "Diagnosis" });
        while (csv.MoveNext()) sink.Send(csv.Features.ToArray(), [csv.Label[0]]);
        return await sink.CompleteAsync();
    }

    /// <summary>Polls the result until <paramref name="done"/> holds (the portal may be restarting: failed polls are retried).</summary>
    public async Task<ResultResponse> WaitForResultAsync(int resultId, Func<ResultResponse, bool> done)
    {
        var result = await Eventually.Until<ResultResponse?>(
            async () =>
            {
                try
                {
                    return await GetAsync<ResultResponse>($"/api/results/{resultId}");
                }
                catch (HttpRequestException)
                {
                    return null; // restarting
                }
            },
            r => r is not null && done(r),
            r => $"result {resultId} (now {r?.Status}: {JsonSerializer.Serialize(r, PortalProcessFixture.Json)})\njob log:\n{JobLog(resultId)}",
            TimeSpan.FromMilliseconds(250));
        return result!;
    }

    /// <summary>The epochs the portal recorded for the result, in order.</summary>
    public async Task<IReadOnlyList<int>> EpochsAsync(int resultId) =>
        (await GetAsync<JsonObject>($"/api/results/{resultId}/metrics"))["epochs"]!.AsArray().Select(e => e!["epoch"]!.GetValue<int>()).ToList();

    /// <summary>The job's own log file, whoever started it.</summary>
    public string JobLog(int resultId)
    {
        var file = Path.Combine(DataDir, "jobs", $"kafkaml-train-{resultId}", "replica-0.log");
        return File.Exists(file) ? string.Join('\n', File.ReadLines(file).TakeLast(60)) : "(no log file)";
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Portal is not null)
        {
            await Portal.StopAsync(TimeSpan.FromSeconds(30));
            Portal.Dispose();
        }
        Broker.Dispose();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResilienceCollection : ICollectionFixture<ResiliencePortal>
{
    // Alone: an outage is the whole broker's, and the specs time their faults against real jobs that want the CPU.
    public const string Name = "Resilience: faults against a real portal, broker and jobs";
}
