using System.Text.RegularExpressions;
using KafkaMl.Tests.Auth;

namespace KafkaMl.Tests.EndToEnd;

/// <summary>
/// The portal exactly as a user runs it — the real executable with its embedded broker, SQLite file and
/// local job runner — shared by one collection. Training and inference jobs are its child processes. Access control is
/// on (accounts mode, admin <see cref="AdminUserName"/>/<see cref="AdminPassword"/> for signing in with a browser);
/// <see cref="Http"/> carries an admin API token.
/// </summary>
public sealed partial class PortalProcessFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string DataDir { get; } = Directory.CreateTempSubdirectory("kafkaml-e2e-").FullName;
    public KafkaMlProcess Portal { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public string BootstrapServers { get; private set; } = "";
    public string ControlTopic { get; private set; } = "";
    public string AdminUserName => TestAdmin.UserName;
    public string AdminPassword => TestAdmin.Password;

    public async Task InitializeAsync()
    {
        Portal = KafkaMlProcess.Start(
            ["--urls=http://127.0.0.1:0", $"--KafkaMl:DataDir={DataDir}", "--KafkaMl:Kafka:EmbeddedPort=0"],
            new Dictionary<string, string?>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["KafkaMl__Kafka__BootstrapServers"] = null,
                ["KafkaMl__Auth__Mode"] = "accounts",
                ["KafkaMl__Auth__AdminUserName"] = TestAdmin.UserName,
                ["KafkaMl__Auth__AdminPassword"] = TestAdmin.Password,
            });
        var line = await Portal.WaitForLineAsync(l => l.Contains("KafkaMl portal listening on"), Eventually.Patience);
        var url = new Uri(ListeningUrl().Match(line).Groups["url"].Value);
        var token = await PortalSignIn.CreateAdminTokenAsync(url, TestAdmin.UserName, TestAdmin.Password);
        Http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var status = await Http.GetFromJsonAsync<StatusDto>("/api/status", Json);
        BootstrapServers = status!.Kafka.BootstrapServers;
        ControlTopic = status.Kafka.ControlTopic;
    }

    public async Task<T> PostAsync<T>(string path, object body)
    {
        using var response = await Http.PostAsJsonAsync(path, body, Json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK or HttpStatusCode.Accepted, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, Json)!;
    }

    public async Task<T> GetAsync<T>(string path) => (await Http.GetFromJsonAsync<T>(path, Json))!;

    /// <summary>Polls a result until <paramref name="done"/> holds; fails with the result and the job's log on timeout.</summary>
    public Task<ResultResponse> WaitForResultAsync(int resultId, Func<ResultResponse, bool> done) =>
        Eventually.Until(
            () => GetAsync<ResultResponse>($"/api/results/{resultId}"), done,
            async result =>
            {
                var log = await Http.GetStringAsync($"/api/results/{resultId}/log?lines=40").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : "(no log)");
                return $"result {resultId} (now {result.Status}: {JsonSerializer.Serialize(result, Json)})\njob log:\n{log}";
            },
            TimeSpan.FromMilliseconds(250));

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Portal is not null)
        {
            await Portal.StopAsync(TimeSpan.FromSeconds(30));
            Portal.Dispose();
        }
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex(@"listening on (?<url>http://\S+)")]
    private static partial Regex ListeningUrl();
}

[CollectionDefinition(Name)]
public sealed class PortalProcessCollection : ICollectionFixture<PortalProcessFixture>
{
    public const string Name = "portal process";
}
