using KafkaMl.Web.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace KafkaMl.Tests.Auth;

/// <summary>Open mode on loopback only, and the settings of sign-in checked on start.</summary>
public sealed class AuthModeSpecs
{
    [Fact]
    public async Task Open_mode_is_refused_when_the_portal_would_listen_beyond_loopback()
    {
        var dataDir = Directory.CreateTempSubdirectory("kafkaml-open-").FullName;
        try
        {
            using var portal = KafkaMlProcess.Start(
                ["--urls=http://0.0.0.0:0", $"--KafkaMl:DataDir={dataDir}", "--KafkaMl:Kafka:EmbeddedPort=0"],
                new Dictionary<string, string?> { ["KafkaMl__Auth__Mode"] = "open", ["KafkaMl__Kafka__BootstrapServers"] = null });

            Assert.Equal(1, await portal.WaitForExitAsync(Eventually.Patience));
            var error = Assert.Single(portal.StderrLines, l => l.StartsWith("KafkaMl could not start:", StringComparison.Ordinal));
            Assert.Contains("KafkaMl:Auth:Mode 'open'", error);
            Assert.Contains("http://0.0.0.0:0", error);
            Assert.DoesNotContain(portal.StdoutLines, l => l.Contains("listening on", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Open_mode_on_loopback_acts_as_admin_without_credentials()
    {
        await using var portal = new OpenModePortal();
        using var http = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/admin/users")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/hangfire")).StatusCode);
        Assert.Empty(await portal.Services.GetRequiredService<AccountService>().ListUsersAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://127.0.0.1:0", true)]
    [InlineData("https://[::1]:8443", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://*:5080", false)]
    [InlineData("http://+:5080", false)]
    [InlineData("http://portal.example.com", false)]
    public void Loopback_addresses_are_told_apart(string url, bool loopback) => Assert.Equal(loopback, ListenUrls.IsLoopback(url));

    [Fact]
    public void Ports_on_every_interface_count_as_beyond_loopback()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:5080",
            ["http_ports"] = "8080",
            ["Kestrel:Endpoints:Public:Url"] = "http://10.0.0.5:9000",
        }).Build();

        var exposed = new ListenUrls(configuration).NonLoopback();

        Assert.Equal(2, exposed.Count);
        Assert.Contains("http://10.0.0.5:9000", exposed);
        Assert.Contains(exposed, e => e.Contains("8080", StringComparison.Ordinal));
    }

    [Fact]
    public void An_incomplete_single_sign_on_section_is_refused_naming_each_setting()
    {
        var result = Validate(new AuthOptions { Oidc = new OidcOptions { Authority = "http://idp.local/realms/team", Roles = { ["ml-admins"] = "superuser" } } });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("RequireHttpsMetadata", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("KafkaMl:Auth:Oidc:ClientId", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("KafkaMl:Auth:Oidc:ClientSecret", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("KafkaMl:Auth:Oidc:Roles:ml-admins", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_modes_and_short_admin_passwords_are_refused()
    {
        var result = Validate(new AuthOptions { Mode = "anonymous", AdminPassword = "short" });

        Assert.Contains(result.Failures!, f => f.Contains("KafkaMl:Auth:Mode", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("KafkaMl:Auth:AdminPassword", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_single_sign_on_section_registers_the_oidc_scheme_with_its_settings()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["KafkaMl:Auth:Oidc:Authority"] = "https://idp.example.com/realms/team",
            ["KafkaMl:Auth:Oidc:ClientId"] = "kafkaml",
            ["KafkaMl:Auth:Oidc:ClientSecret"] = "client-secret-value",
            ["KafkaMl:Auth:Oidc:DisplayName"] = "Team SSO",
            ["KafkaMl:Auth:Oidc:Roles:ml-admins"] = "admin",
        });
        builder.AddKafkaMlAuth();
        await using var services = builder.Services.BuildServiceProvider();

        var scheme = await services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(OidcOptions.Scheme);
        var oidc = services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(OidcOptions.Scheme);
        var auth = services.GetRequiredService<IOptions<AuthOptions>>().Value;

        Assert.Equal("Team SSO", scheme!.DisplayName);
        Assert.Equal(("https://idp.example.com/realms/team", "kafkaml", "client-secret-value"), (oidc.Authority, oidc.ClientId, oidc.ClientSecret));
        Assert.Equal("code", oidc.ResponseType);
        Assert.True(oidc.UsePkce);
        Assert.Equal("admin", auth.Oidc.Roles["ml-admins"]);
    }

    [Fact]
    public async Task Without_a_single_sign_on_section_there_is_no_oidc_scheme()
    {
        var builder = WebApplication.CreateBuilder();
        builder.AddKafkaMlAuth();
        await using var services = builder.Services.BuildServiceProvider();

        Assert.Null(await services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync(OidcOptions.Scheme));
    }

    [Fact]
    public void The_providers_roles_map_to_the_highest_kafkaml_role_or_the_default()
    {
        var oidc = new OidcOptions { RoleClaim = "groups", Roles = { ["ml-team"] = "editor", ["ml-admins"] = "admin" }, DefaultRole = "viewer" };
        static System.Security.Claims.ClaimsPrincipal With(params string[] groups) =>
            new(new System.Security.Claims.ClaimsIdentity(groups.Select(g => new System.Security.Claims.Claim("groups", g)), "oidc"));

        Assert.Equal("admin", OidcSetup.RoleOf(With("ml-team", "ml-admins"), oidc));
        Assert.Equal("editor", OidcSetup.RoleOf(With("ml-team", "finance"), oidc));
        Assert.Equal("viewer", OidcSetup.RoleOf(With("finance"), oidc));
        Assert.Null(OidcSetup.RoleOf(With("finance"), new OidcOptions { RoleClaim = "groups", DefaultRole = "" }));
    }

    private static ValidateOptionsResult Validate(AuthOptions options) =>
        new AuthOptionsValidator(new ListenUrls(new ConfigurationBuilder().Build())).Validate(null, options);
}
