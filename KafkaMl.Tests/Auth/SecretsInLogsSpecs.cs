using System.Collections.Concurrent;
using KafkaMl.Web.Auth;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Auth;

/// <summary>
/// Passwords (the generated first-admin one included), API tokens and job tokens never reach a log: the portal runs
/// with every log entry of every category at Trace level captured, is used with all of them, and the capture is searched.
/// </summary>
public sealed class SecretsInLogsSpecs : IAsyncLifetime
{
    private readonly LoggedPortal portal = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Fact]
    public async Task Passwords_api_tokens_and_job_tokens_never_appear_in_the_logs()
    {
        using var browser = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var (adminName, adminPassword) = portal.Notices.Single();

        // The generated admin password signs in, and a wrong one is refused.
        Assert.Equal(HttpStatusCode.Redirect, (await PortalSignIn.PostLoginAsync(browser, adminName, adminPassword)).StatusCode);
        using var stranger = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        const string WrongPassword = "wrong-password-in-logs-test";
        Assert.Equal(HttpStatusCode.OK, (await PortalSignIn.PostLoginAsync(stranger, adminName, WrongPassword)).StatusCode);

        // A user with a password, a token of theirs, used and revoked; a password reset.
        const string UserPassword = "user-password-in-logs-test";
        const string ResetPassword = "reset-password-in-logs-test";
        using var created = await browser.PostAsJsonAsync("/api/admin/users", new { userName = "logged", role = "editor", password = UserPassword });
        var userId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.NoContent, (await browser.PostAsJsonAsync($"/api/admin/users/{userId}/password", new { password = ResetPassword })).StatusCode);
        using var tokenResponse = await browser.PostAsJsonAsync("/api/admin/tokens", new { name = "script", owner = "logged" });
        var tokenBody = await tokenResponse.Content.ReadFromJsonAsync<JsonElement>();
        var apiToken = tokenBody.GetProperty("token").GetString()!;
        using var script = portal.CreateClient();
        script.DefaultRequestHeaders.Authorization = new("Bearer", apiToken);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await script.GetAsync("/api/admin/users")).StatusCode);
        await browser.DeleteAsync($"/api/admin/tokens/{tokenBody.GetProperty("details").GetProperty("id").GetInt32()}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/models")).StatusCode);

        // Job tokens, on their own result (which does not exist: 404) and on another one (403).
        var jobToken = portal.Services.GetRequiredService<JobTokens>().ForTraining(4242);
        using var job = portal.CreateClient();
        foreach (var resultId in new[] { 4242, 4343 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, TrainingJobRoutes.Epochs(resultId)) { Content = JsonContent.Create(AnEpoch(1)) };
            request.Headers.Add(JobEnvironment.TokenHeader, jobToken);
            Assert.True((await job.SendAsync(request)).StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden);
        }

        var logs = portal.Logs.Text;
        Assert.Contains("Created the admin account", logs); // the capture does see the portal's logs
        foreach (var secret in new[] { adminPassword, WrongPassword, UserPassword, ResetPassword, apiToken, apiToken[AccountService.TokenPrefix.Length..], jobToken })
            Assert.DoesNotContain(secret, logs);
    }

    /// <summary>The portal with a generated first-admin password (recorded from the console notice) and captured logs.</summary>
    private sealed class LoggedPortal : WebApplicationFactory<Program>
    {
        private readonly string dataDir = Directory.CreateTempSubdirectory("kafkaml-secrets-").FullName;

        public CapturedLogs Logs { get; } = new();

        public ConcurrentQueue<(string UserName, string Password)> Notices { get; } = new();

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseOwnDataAndBroker(dataDir);
            builder.UseSetting("KafkaMl:Auth:Mode", "accounts");
            builder.ConfigureLogging(logging => logging.AddProvider(Logs).AddFilter<CapturedLogs>(null, LogLevel.Trace));
            builder.ConfigureTestServices(services => services.AddSingleton<IFirstAdminNotice>(new RecordingNotice(Notices)));
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            InProcessPortal.DeleteDataDir(dataDir);
        }
    }

    private sealed class RecordingNotice(ConcurrentQueue<(string, string)> notices) : IFirstAdminNotice
    {
        public void Show(string userName, string password) => notices.Enqueue((userName, password));
    }
}
