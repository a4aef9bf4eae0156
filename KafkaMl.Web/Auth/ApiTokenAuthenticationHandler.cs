using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace KafkaMl.Web.Auth;

/// <summary>
/// <c>Authorization: Bearer kml_…</c>: an API token of an enabled account, acting with the account's role. A
/// missing, unknown or revoked token fails with 401 and <c>WWW-Authenticate: Bearer</c>; the token is never logged.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AccountService accounts)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiToken";

    /// <summary>True when the request carries a bearer token (then this scheme, not the cookie, decides).</summary>
    public static bool HasBearer(HttpRequest request) => BearerToken.Of(request) is not null;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken.Of(Request) is not { } token) return AuthenticateResult.NoResult();
        var principal = await accounts.AuthenticateTokenAsync(token, SchemeName, Context.RequestAborted);
        return principal is null
            ? AuthenticateResult.Fail("The API token is unknown or revoked, or its account is disabled.")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, "Bearer");
        return Task.CompletedTask;
    }
}

/// <summary>Open mode (loopback only): every request acts as the admin <c>open-mode</c>.</summary>
public sealed class OpenModeAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Open";
    public const string UserName = "open-mode";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(
            new(KafkaMlClaims.Identity(SchemeName, UserName, KafkaMlRoles.Admin, "open")), SchemeName)));
}
