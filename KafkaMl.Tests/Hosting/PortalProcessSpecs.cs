using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace KafkaMl.Tests.Hosting;

/// <summary>The portal as a newcomer runs it: the real executable in its own process.</summary>
public sealed partial class PortalProcessSpecs : IDisposable
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("kafkaml-process-").FullName;

    [Fact]
    public async Task A_restart_against_the_same_data_directory_keeps_models_and_configurations()
    {
        int modelId, configurationId;
        using (var first = StartPortal())
        {
            using var http = await ConnectAsync(first);
            var model = await CreateAsync<ModelResponse>(http, "/api/models", new { name = "kept-model", code = "Linear(3, 2)" });
            var configuration = await CreateAsync<ConfigurationResponse>(http, "/api/configurations", new { name = "kept-configuration", modelIds = new[] { model.Id } });
            (modelId, configurationId) = (model.Id, configuration.Id);
            Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(30)));
        }

        using var second = StartPortal();
        using var again = await ConnectAsync(second);
        var keptModel = await again.GetFromJsonAsync<ModelResponse>($"/api/models/{modelId}", JsonSerializerOptions.Web);
        var keptConfiguration = await again.GetFromJsonAsync<ConfigurationResponse>($"/api/configurations/{configurationId}", JsonSerializerOptions.Web);
        Assert.Equal("kept-model", keptModel!.Name);
        Assert.Equal("Linear(3, 2)", keptModel.Code);
        Assert.Equal(new[] { modelId }, keptConfiguration!.ModelIds);
    }

    [Fact]
    public async Task The_embedded_broker_of_a_running_portal_serves_producers_and_consumers_in_other_processes()
    {
        using var portal = StartPortal();
        using var http = await ConnectAsync(portal);
        var status = await http.GetFromJsonAsync<StatusDto>("/api/status", JsonSerializerOptions.Web);
        var topic = $"portal-roundtrip-{Guid.NewGuid():N}";

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = status!.Kafka.BootstrapServers }).Build())
        {
            for (var i = 0; i < 20; i++)
                await producer.ProduceAsync(topic, new Message<string, string> { Key = $"k{i}", Value = $"v{i}" });
        }
        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = status.Kafka.BootstrapServers,
            GroupId = $"group-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).Build();
        consumer.Subscribe(topic);
        var received = new HashSet<string>();
        var deadline = DateTime.UtcNow + Eventually.Patience;
        while (received.Count < 20 && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { } record) received.Add(record.Message.Value);
        consumer.Close();

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"v{i}").ToHashSet(), received);
    }

    [Fact]
    public async Task The_hangfire_dashboard_is_served_to_loopback_at_slash_hangfire()
    {
        using var portal = StartPortal();
        using var http = await ConnectAsync(portal);

        using var response = await http.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("KafkaMl jobs", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_taken_broker_port_stops_the_portal_with_a_message_naming_the_port()
    {
        using var taken = TakePort(out var port);

        using var portal = StartPortal(brokerPort: port);

        Assert.Equal(1, await portal.WaitForExitAsync(Eventually.Patience));
        Assert.Contains(portal.StderrLines, line => line.Contains($"Port {port}") || line.Contains($":{port}"));
    }

    [Fact]
    public async Task A_taken_http_port_stops_the_portal_with_a_message_naming_the_port()
    {
        using var taken = TakePort(out var port);

        using var portal = StartPortal(url: $"http://127.0.0.1:{port}");

        Assert.Equal(1, await portal.WaitForExitAsync(Eventually.Patience));
        Assert.Contains(portal.StderrLines, line => line.Contains("KafkaMl could not start") && line.Contains(port.ToString()));
    }

    private KafkaMlProcess StartPortal(int brokerPort = 0, string url = "http://127.0.0.1:0") =>
        KafkaMlProcess.Start(
            [$"--urls={url}", $"--KafkaMl:DataDir={dataDir}", $"--KafkaMl:Kafka:EmbeddedPort={brokerPort}"],
            new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["KafkaMl__Kafka__BootstrapServers"] = null });

    private static async Task<HttpClient> ConnectAsync(KafkaMlProcess portal)
    {
        var line = await portal.WaitForLineAsync(l => l.Contains("KafkaMl portal listening on"), Eventually.Patience);
        var url = ListeningUrl().Match(line).Groups["url"].Value;
        return new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static async Task<T> CreateAsync<T>(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<T>(JsonSerializerOptions.Web))!;
    }

    private static TcpListener TakePort(out int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return listener;
    }

    [GeneratedRegex(@"listening on (?<url>http://\S+)")]
    private static partial Regex ListeningUrl();

    public void Dispose()
    {
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }
}
