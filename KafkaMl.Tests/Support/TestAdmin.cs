using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using KafkaMl.Web.Auth;

namespace KafkaMl.Tests.Support;

/// <summary>
/// How the in-process portals of the tests (<see cref="Portal.PortalFactory"/>, <see cref="Orchestration.OrchestrationPortalFactory"/>)
/// run access control: <c>accounts</c> mode with a known admin, and every client they create carrying an admin API
/// token, so tests written before sign-in existed keep working unchanged and still go through the real checks.
/// </summary>
public static class TestAdmin
{
    public const string UserName = "admin";
    public const string Password = "test-admin-password";

    private static readonly ConditionalWeakTable<IServiceProvider, string> Tokens = new();

    /// <summary>Accounts mode with <see cref="UserName"/>/<see cref="Password"/> as the first admin.</summary>
    public static IWebHostBuilder UseTestAdmin(this IWebHostBuilder builder) => builder
        .UseSetting("KafkaMl:Auth:Mode", AuthOptions.AccountsMode)
        .UseSetting("KafkaMl:Auth:AdminUserName", UserName)
        .UseSetting("KafkaMl:Auth:AdminPassword", Password);

    /// <summary>Makes <paramref name="client"/> send the admin's API token (created once per portal).</summary>
    public static void AuthorizeAsAdmin(this HttpClient client, IServiceProvider services)
    {
        var token = Tokens.GetValue(services, CreateToken);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>A client of the same portal that sends no credentials.</summary>
    public static HttpClient WithoutCredentials(this HttpClient client)
    {
        client.DefaultRequestHeaders.Authorization = null;
        return client;
    }

    private static string CreateToken(IServiceProvider services)
    {
        var accounts = services.GetRequiredService<AccountService>();
        // ConfigureClient is synchronous; the portal is started already, so this only waits for SQLite.
        var (_, secret, error) = accounts.CreateTokenAsync(UserName, "tests", CancellationToken.None).GetAwaiter().GetResult();
        return secret ?? throw new InvalidOperationException($"Could not create the tests' admin token: {error?.Message}");
    }
}
