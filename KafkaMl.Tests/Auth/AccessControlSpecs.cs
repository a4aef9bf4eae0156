using KafkaMl.Tests.Jobs;
using KafkaMl.Web.Auth;
using Microsoft.AspNetCore.Mvc.Testing;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Auth;

/// <summary>
/// Who may do what, over HTTP against the whole portal in accounts mode (<see cref="OrchestrationPortalFactory"/>:
/// jobs are recorded by a fake runner, so deploying starts no process).
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class AccessControlSpecs(OrchestrationPortalFactory portal)
{
    private const string Password = "a-long-enough-password";

    private AccountService Accounts => portal.Services.GetRequiredService<AccountService>();

    private HttpClient Anonymous() =>
        portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).WithoutCredentials();

    private HttpClient WithToken(string token)
    {
        var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    private async Task<(UserView User, string Token)> NewUserWithTokenAsync(string role)
    {
        var (user, error) = await Accounts.CreateUserAsync(Builders.UniqueName(role), role, Password, CancellationToken.None);
        Assert.Null(error);
        var (_, token, tokenError) = await Accounts.CreateTokenAsync(user!.UserName, "test", CancellationToken.None);
        Assert.Null(tokenError);
        return (user, token!);
    }

    private Task<int> SeedConfigurationAsync(int models = 1) => portal.Services.SeedConfigurationOfNewModelsAsync(models);

    [Theory]
    [InlineData("GET", "/api/models")]
    [InlineData("GET", "/api/results")]
    [InlineData("POST", "/api/deployments")]
    [InlineData("DELETE", "/api/models/1")]
    [InlineData("GET", "/api/admin/users")]
    public async Task An_api_request_without_credentials_is_refused_with_401(string method, string path)
    {
        using var http = Anonymous();

        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/models")]
    [InlineData("/results/1")]
    [InlineData("/admin/users")]
    [InlineData("/hangfire")]
    [InlineData("/api/docs/index.html")]
    public async Task A_page_request_without_credentials_is_redirected_to_the_sign_in_page(string path)
    {
        using var http = Anonymous();

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login", response.Headers.Location!.AbsolutePath);
        Assert.Contains("ReturnUrl=" + Uri.EscapeDataString(path), response.Headers.Location.Query);
    }

    [Theory]
    [InlineData("/account/login")]
    [InlineData("/healthz")]
    [InlineData("/api/status")]
    [InlineData("/app.css")]
    [InlineData("/_framework/blazor.web.js")]
    public async Task The_sign_in_page_the_health_check_and_static_assets_need_no_credentials(string path)
    {
        using var http = Anonymous();

        using var response = await http.GetAsync(path);

        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{path} answered {(int)response.StatusCode}");
    }

    [Fact]
    public async Task The_sign_in_page_carries_the_fields_the_browser_tests_use()
    {
        using var http = Anonymous();

        var page = await http.GetStringAsync("/account/login");

        Assert.Contains("data-testid=\"login-username\"", page);
        Assert.Contains("data-testid=\"login-password\"", page);
        Assert.Contains("data-testid=\"login-submit\"", page);
        Assert.Contains("__RequestVerificationToken", page);
    }

    [Fact]
    public async Task A_viewer_can_read_but_cannot_deploy_create_or_delete()
    {
        var configurationId = await SeedConfigurationAsync();
        var (_, token) = await NewUserWithTokenAsync(KafkaMlRoles.Viewer);
        using var viewer = WithToken(token);

        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/deployments")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/models")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/deployments", ADeploymentRequest(configurationId))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/models", Builders.AModelRequest())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.DeleteAsync($"/api/configurations/{configurationId}")).StatusCode);
        await using var db = await portal.Services.GetRequiredService<IDbContextFactory<KafkaMlDbContext>>().CreateDbContextAsync();
        Assert.False(await db.Deployments.AnyAsync(d => d.ConfigurationId == configurationId));
    }

    [Fact]
    public async Task A_viewer_is_refused_the_form_pages_and_offered_no_write_on_the_pages_it_reads()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var inferenceId = await SeedStoppedInferenceAsync(resultId);
        using var viewer = WithToken((await NewUserWithTokenAsync(KafkaMlRoles.Viewer)).Token);
        using var editor = WithToken((await NewUserWithTokenAsync(KafkaMlRoles.Editor)).Token);

        foreach (var form in new[] { "/deployments/new", "/models/new", "/configurations/new", $"/inferences/new?resultId={resultId}" })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync(form)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await editor.GetAsync(form)).StatusCode);
        }
        // The prerendered pages, rendered for each principal: the viewer reads them without their write actions.
        (string Page, string Read, string Write)[] pages =
        [
            ("/deployments", "Deployments", "deployment-new"),
            ($"/results/{resultId}", "result-model", "result-deploy-inference"),
            ($"/results/{resultId}", "result-model", "delete-button"),
            ($"/inferences/{inferenceId}", "inference-status", "inference-delete"),
        ];
        foreach (var (page, read, write) in pages)
        {
            var seenByViewer = await viewer.GetStringAsync(page);
            var seenByEditor = await editor.GetStringAsync(page);
            Assert.Contains(read, seenByViewer);
            Assert.DoesNotContain($"data-testid=\"{write}\"", seenByViewer);
            Assert.Contains($"data-testid=\"{write}\"", seenByEditor);
        }
    }

    /// <summary>A stopped inference of <paramref name="resultId"/> (stopped: the portal's jobs leave it alone).</summary>
    private async Task<int> SeedStoppedInferenceAsync(int resultId)
    {
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        var topic = Builders.UniqueName("viewer");
        var inference = new KafkaMl.Core.Domain.Inference
        {
            ResultId = resultId, InputFormat = "RAW", InputTopic = $"in-{topic}", OutputTopic = $"out-{topic}",
            Status = InferenceStatus.Stopped, StatusChanged = DateTimeOffset.UtcNow,
        };
        db.Inferences.Add(inference);
        await db.SaveChangesAsync();
        return inference.Id;
    }

    [Fact]
    public async Task An_editor_can_deploy_but_cannot_manage_users_or_open_the_hangfire_dashboard()
    {
        var configurationId = await SeedConfigurationAsync();
        var (_, token) = await NewUserWithTokenAsync(KafkaMlRoles.Editor);
        using var editor = WithToken(token);

        Assert.Equal(HttpStatusCode.Created, (await editor.PostAsJsonAsync("/api/deployments", ADeploymentRequest(configurationId))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await editor.GetAsync("/api/admin/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await editor.PostAsJsonAsync("/api/admin/tokens", new { name = "mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await editor.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await editor.GetAsync("/admin/users")).StatusCode);
    }

    [Fact]
    public async Task An_admin_manages_users_and_opens_the_hangfire_dashboard()
    {
        using var admin = portal.CreateClient();
        var name = Builders.UniqueName("new-viewer");

        using var created = await admin.PostAsJsonAsync("/api/admin/users", new { userName = name, role = "viewer", password = Password });
        var users = await admin.GetFromJsonAsync<JsonElement>("/api/admin/users");
        using var dashboard = await admin.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("userName").GetString() == name && u.GetProperty("role").GetString() == "viewer");
        Assert.DoesNotContain("password", users.GetRawText(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Contains("KafkaMl jobs", await dashboard.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_api_token_acts_with_its_owners_role_until_it_is_revoked()
    {
        using var admin = portal.CreateClient();
        using var created = await admin.PostAsJsonAsync("/api/admin/tokens", new { name = "script", owner = TestAdmin.UserName });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var token = body.GetProperty("token").GetString()!;
        var id = body.GetProperty("details").GetProperty("id").GetInt32();
        using var script = WithToken(token);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/admin/users")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/admin/tokens/{id}")).StatusCode);

        using var refused = await script.GetAsync("/api/models");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        var listed = await admin.GetStringAsync("/api/admin/tokens");
        Assert.DoesNotContain(token, listed);
    }

    [Fact]
    public async Task A_disabled_accounts_tokens_are_refused()
    {
        var (user, token) = await NewUserWithTokenAsync(KafkaMlRoles.Editor);
        using var script = WithToken(token);
        Assert.Equal(HttpStatusCode.OK, (await script.GetAsync("/api/models")).StatusCode);

        using var admin = portal.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/admin/users/{user.Id}", new { disabled = true })).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await script.GetAsync("/api/models")).StatusCode);
    }

    [Fact]
    public async Task Passwords_and_api_tokens_are_stored_only_as_hashes()
    {
        var password = "distinctive-" + Guid.NewGuid().ToString("N");
        var (user, error) = await Accounts.CreateUserAsync(Builders.UniqueName("hashed"), KafkaMlRoles.Viewer, password, CancellationToken.None);
        Assert.Null(error);
        var (_, token, _) = await Accounts.CreateTokenAsync(user!.UserName, "hashed", CancellationToken.None);

        var files = Directory.GetFiles(portal.DataDir, KafkaMlDataExtensions.DatabaseFileName + "*");
        var stored = string.Concat(files.Select(file =>
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            return reader.ReadToEnd();
        }));

        Assert.Contains(user.UserName, stored); // the scan does see the rows
        Assert.DoesNotContain(password, stored);
        Assert.DoesNotContain(token!, stored);
        Assert.DoesNotContain(token![AccountService.TokenPrefix.Length..], stored);
    }

    [Fact]
    public async Task Signing_in_with_the_form_opens_pages_and_the_api_until_the_password_changes()
    {
        var (user, _) = await NewUserWithTokenAsync(KafkaMlRoles.Editor);
        using var browser = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }).WithoutCredentials();

        using var signedIn = await PortalSignIn.PostLoginAsync(browser, user.UserName, Password, "/account/login?ReturnUrl=%2Fmodels");

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/models", new Uri(browser.BaseAddress!, signedIn.Headers.Location!).PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/models")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/models")).StatusCode);

        using var admin = portal.CreateClient();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsJsonAsync($"/api/admin/users/{user.Id}/password", new { password = "another-password-1" })).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/models")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_shows_the_form_again_and_signs_nobody_in()
    {
        var (user, _) = await NewUserWithTokenAsync(KafkaMlRoles.Viewer);
        using var browser = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }).WithoutCredentials();

        using var refused = await PortalSignIn.PostLoginAsync(browser, user.UserName, "not-the-password");

        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("Wrong user name or password", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/models")).StatusCode);
    }

    [Fact]
    public async Task The_sign_in_form_is_refused_without_its_antiforgery_token()
    {
        using var browser = Anonymous();
        var form = new Dictionary<string, string> { ["_handler"] = "login", ["Input.UserName"] = TestAdmin.UserName, ["Input.Password"] = TestAdmin.Password };

        using var response = await browser.PostAsync("/account/login", new FormUrlEncodedContent(form));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task A_job_token_cannot_write_another_result_and_a_user_token_opens_no_job_endpoint()
    {
        using var admin = portal.CreateClient();
        using var deployed = await admin.PostAsJsonAsync("/api/deployments", ADeploymentRequest(await SeedConfigurationAsync(models: 2)));
        Assert.Equal(HttpStatusCode.Created, deployed.StatusCode);
        var resultIds = (await deployed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetInt32()).ToArray();
        var (own, other) = (resultIds[0], resultIds[1]);
        // The token the start job hands to the job of the first result (handing it over: OrchestrationPortalSpecs).
        var ownToken = portal.Services.GetRequiredService<JobTokens>().ForTraining(own);
        using var job = Anonymous();

        HttpRequestMessage Epoch(int resultId, string? jobToken)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, TrainingJobRoutes.Epochs(resultId)) { Content = JsonContent.Create(AnEpoch(1)) };
            if (jobToken is not null) request.Headers.Add(JobEnvironment.TokenHeader, jobToken);
            return request;
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await job.SendAsync(Epoch(other, ownToken))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await admin.SendAsync(Epoch(other, null))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await job.SendAsync(Epoch(own, ownToken))).StatusCode);
        var metrics = await admin.GetFromJsonAsync<JsonElement>($"/api/results/{other}/metrics");
        Assert.DoesNotContain("\"epoch\":1", metrics.GetRawText().Replace(" ", ""));
    }
}
