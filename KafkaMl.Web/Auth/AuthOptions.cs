namespace KafkaMl.Web.Auth;

/// <summary>The <c>KafkaMl:Auth</c> section: who may use the portal and how they sign in.</summary>
public sealed class AuthOptions
{
    public const string Section = "KafkaMl:Auth";
    public const string AccountsMode = "accounts";
    public const string OpenMode = "open";

    /// <summary>
    /// <c>accounts</c> (default): sign-in with local accounts (and single sign-on when <see cref="Oidc"/> is set) or API
    /// tokens. <c>open</c>: every request acts as admin, allowed only while the portal listens on loopback only.
    /// </summary>
    public string Mode { get; set; } = AccountsMode;

    /// <summary>The first admin account's name, created when no account exists.</summary>
    public string AdminUserName { get; set; } = "admin";

    /// <summary>The first admin's password; when empty a one-time password is generated and printed once.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>How long a sign-in lasts without activity.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    public OidcOptions Oidc { get; set; } = new();

    public bool IsOpen => string.Equals(Mode, OpenMode, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The <c>KafkaMl:Auth:Oidc</c> section: single sign-on with an OpenID Connect provider, on when <see cref="Authority"/> is set.</summary>
public sealed class OidcOptions
{
    public const string Scheme = "oidc";

    /// <summary>The provider's issuer URL (its discovery document lives under it), e.g. https://login.example.com/realms/team.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>The sign-in button's text.</summary>
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>The ID-token claim holding the user's groups or roles at the provider.</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>Provider role (value of <see cref="RoleClaim"/>) → KafkaMl role; the highest match wins.</summary>
    public Dictionary<string, string> Roles { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The role of a user none of whose provider roles is mapped; empty refuses such users.</summary>
    public string? DefaultRole { get; set; } = KafkaMlRoles.Viewer;

    /// <summary>The claim naming the user.</summary>
    public string NameClaim { get; set; } = "preferred_username";

    /// <summary>Off only for a provider on plain http inside a trusted network.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
