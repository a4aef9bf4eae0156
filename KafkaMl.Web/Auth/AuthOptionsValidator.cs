using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Auth;

/// <summary>
/// Checks <c>KafkaMl:Auth</c> on start, with messages naming the setting: a known mode, <c>open</c> only while every
/// address the portal listens on is loopback (<paramref name="listenUrls"/>), a usable admin password, and a complete
/// single-sign-on section.
/// </summary>
public sealed class AuthOptionsValidator(ListenUrls listenUrls) : IValidateOptions<AuthOptions>
{
    public const int MinPasswordLength = 8;

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var errors = new List<string>();
        if (!string.Equals(options.Mode, AuthOptions.AccountsMode, StringComparison.OrdinalIgnoreCase) && !options.IsOpen)
            errors.Add($"KafkaMl:Auth:Mode must be '{AuthOptions.AccountsMode}' or '{AuthOptions.OpenMode}' ('{options.Mode}' given).");
        if (options.IsOpen && listenUrls.NonLoopback() is { Count: > 0 } exposed)
        {
            errors.Add($"KafkaMl:Auth:Mode 'open' lets every visitor act as admin, so it is only allowed while the portal listens on "
                + $"loopback only; it is configured to listen on {string.Join(", ", exposed)}. Use '{AuthOptions.AccountsMode}', or listen on "
                + "http://127.0.0.1 or http://localhost.");
        }
        if (string.IsNullOrWhiteSpace(options.AdminUserName))
            errors.Add("KafkaMl:Auth:AdminUserName must not be empty.");
        if (!string.IsNullOrEmpty(options.AdminPassword) && options.AdminPassword.Length < MinPasswordLength)
            errors.Add($"KafkaMl:Auth:AdminPassword must have at least {MinPasswordLength} characters.");
        if (options.SessionLifetime <= TimeSpan.Zero)
            errors.Add("KafkaMl:Auth:SessionLifetime must be positive.");
        ValidateOidc(options.Oidc, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateOidc(OidcOptions oidc, List<string> errors)
    {
        if (!oidc.Enabled) return;
        if (!Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
            errors.Add($"KafkaMl:Auth:Oidc:Authority must be an absolute http(s) URL ('{oidc.Authority}' given).");
        else if (authority.Scheme == "http" && oidc.RequireHttpsMetadata)
            errors.Add("KafkaMl:Auth:Oidc:Authority uses http; use https, or set KafkaMl:Auth:Oidc:RequireHttpsMetadata=false for a provider inside a trusted network.");
        if (string.IsNullOrWhiteSpace(oidc.ClientId))
            errors.Add("KafkaMl:Auth:Oidc:ClientId is required when KafkaMl:Auth:Oidc:Authority is set.");
        if (string.IsNullOrWhiteSpace(oidc.ClientSecret))
            errors.Add("KafkaMl:Auth:Oidc:ClientSecret is required when KafkaMl:Auth:Oidc:Authority is set.");
        if (string.IsNullOrWhiteSpace(oidc.RoleClaim))
            errors.Add("KafkaMl:Auth:Oidc:RoleClaim must name the claim holding the provider's roles.");
        foreach (var (providerRole, role) in oidc.Roles)
        {
            if (!KafkaMlRoles.IsRole(role))
                errors.Add($"KafkaMl:Auth:Oidc:Roles:{providerRole} must be one of {string.Join(", ", KafkaMlRoles.All)} ('{role}' given).");
        }
        if (!string.IsNullOrEmpty(oidc.DefaultRole) && !KafkaMlRoles.IsRole(oidc.DefaultRole))
            errors.Add($"KafkaMl:Auth:Oidc:DefaultRole must be empty or one of {string.Join(", ", KafkaMlRoles.All)} ('{oidc.DefaultRole}' given).");
    }
}
