using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace KafkaMl.Web.Auth;

/// <summary>
/// Single sign-on with an OpenID Connect provider (authorization code flow with PKCE): the provider's ID token is
/// turned into a KafkaMl principal whose role comes from <see cref="OidcOptions.RoleClaim"/> through
/// <see cref="OidcOptions.Roles"/>, and kept in the same cookie as a local sign-in.
/// </summary>
public static class OidcSetup
{
    public static AuthenticationBuilder AddKafkaMlOpenIdConnect(this AuthenticationBuilder authentication, OidcOptions oidc) =>
        authentication.AddOpenIdConnect(OidcOptions.Scheme, oidc.DisplayName, options =>
        {
            options.Authority = oidc.Authority;
            options.ClientId = oidc.ClientId;
            options.ClientSecret = oidc.ClientSecret;
            options.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
            options.ResponseType = OpenIdConnectResponseType.Code;
            options.UsePkce = true;
            options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            options.CallbackPath = "/signin-oidc";
            options.MapInboundClaims = false; // keep the provider's claim names, as configured in RoleClaim and NameClaim
            options.SaveTokens = false;
            options.Scope.Clear();
            options.Scope.Add("openid");
            options.Scope.Add("profile");
            options.Events.OnTokenValidated = context =>
            {
                var role = RoleOf(context.Principal!, oidc);
                if (role is null)
                {
                    context.Fail($"None of the provider's roles ({oidc.RoleClaim}) maps to a KafkaMl role, and there is no default role.");
                    return Task.CompletedTask;
                }
                context.Principal = new ClaimsPrincipal(KafkaMlClaims.Identity(
                    CookieAuthenticationDefaults.AuthenticationScheme, NameOf(context.Principal!, oidc), role, "oidc"));
                return Task.CompletedTask;
            };
            options.Events.OnRemoteFailure = context =>
            {
                context.Response.Redirect(AuthHostingExtensions.LoginPath + "?error=sso");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });

    /// <summary>The highest KafkaMl role that any of the provider's roles maps to, else the default role (null: refused).</summary>
    public static string? RoleOf(ClaimsPrincipal principal, OidcOptions oidc)
    {
        var mapped = principal.FindAll(oidc.RoleClaim)
            .Select(claim => oidc.Roles.TryGetValue(claim.Value, out var role) ? role : null)
            .Where(KafkaMlRoles.IsRole)
            .MaxBy(KafkaMlRoles.Rank);
        return mapped ?? (string.IsNullOrEmpty(oidc.DefaultRole) ? null : oidc.DefaultRole);
    }

    private static string NameOf(ClaimsPrincipal principal, OidcOptions oidc) =>
        principal.FindFirst(oidc.NameClaim)?.Value
        ?? principal.FindFirst("name")?.Value
        ?? principal.FindFirst("sub")?.Value
        ?? "unknown";
}
