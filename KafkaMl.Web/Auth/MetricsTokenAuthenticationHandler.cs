using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using KafkaMl.Web.Telemetry;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;KafkaMl:Telemetry:MetricsToken&gt;</c>: a scraper (Prometheus) that may read
/// <c>/metrics</c> and nothing else. Its principal has the <see cref="Role"/> only, none of the portal's roles, so every
/// other page and endpoint still refuses it. The token is compared in constant time and never logged.
/// </summary>
public sealed class MetricsTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "MetricsToken";
    public const string Role = "metrics";
    public const string UserName = "metrics-scraper";

    /// <summary>True when the request's bearer token is the configured metrics token (then this scheme decides, not the API tokens).</summary>
    public static bool Carries(HttpRequest request)
    {
        var configured = request.HttpContext.RequestServices.GetRequiredService<IOptionsMonitor<TelemetryOptions>>().CurrentValue.MetricsToken;
        if (string.IsNullOrWhiteSpace(configured) || BearerToken.Of(request) is not { } token) return false;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(configured.Trim()));
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(Carries(Request)
            ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(
                KafkaMlClaims.Identity(SchemeName, UserName, Role, "token", new Claim(ClaimTypes.Role, Role))), SchemeName))
            : AuthenticateResult.NoResult());
}
