namespace KafkaMl.Web.Auth;

/// <summary>A local account: signs in with a password (stored as a PBKDF2 hash, never in clear) and owns API tokens.</summary>
public sealed class UserAccount
{
    public const int UserNameMaxLength = 64;

    public int Id { get; set; }

    /// <summary>Unique, ignoring case.</summary>
    public string UserName { get; set; } = "";

    /// <summary>ASP.NET Core Identity's password hash format (PBKDF2 with a per-password salt).</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>One of <see cref="KafkaMlRoles.All"/>.</summary>
    public string Role { get; set; } = KafkaMlRoles.Viewer;

    /// <summary>A disabled account cannot sign in, and neither its sessions nor its API tokens are accepted.</summary>
    public bool Disabled { get; set; }

    /// <summary>Changes with the password, the role and the disabled flag, which ends the account's open sessions.</summary>
    public string SecurityStamp { get; set; } = NewStamp();

    public DateTimeOffset CreatedAt { get; set; }

    public List<ApiToken> Tokens { get; set; } = [];

    public static string NewStamp() => Guid.NewGuid().ToString("N");
}

/// <summary>
/// An API token for scripts (<c>Authorization: Bearer kml_…</c>): acts with its owner's role. Only its SHA-256 hash is
/// stored (the token is shown once, at creation); revoked tokens are kept for the record.
/// </summary>
public sealed class ApiToken
{
    public const int NameMaxLength = 100;

    public int Id { get; set; }

    public int UserId { get; set; }

    public UserAccount? User { get; set; }

    /// <summary>What the token is for, e.g. "nightly retraining script".</summary>
    public string Name { get; set; } = "";

    /// <summary>Hex SHA-256 of the whole token; unique.</summary>
    public string TokenHash { get; set; } = "";

    /// <summary>The token's first characters, to recognise it in lists without revealing it.</summary>
    public string Prefix { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
