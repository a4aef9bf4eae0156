using System.Security.Claims;

namespace KafkaMl.Web.Auth;

/// <summary>
/// The three roles, each including the ones below it: a viewer reads, an editor also creates, changes, deploys,
/// stops, uploads and resends, an admin also manages users, API tokens and the Hangfire dashboard. A principal
/// carries one role claim per role it has (an admin: admin, editor and viewer), so <c>RequireRole(Editor)</c> and
/// <c>&lt;AuthorizeView Roles="editor"&gt;</c> need no knowledge of the order.
/// </summary>
public static class KafkaMlRoles
{
    public const string Viewer = "viewer";
    public const string Editor = "editor";
    public const string Admin = "admin";

    /// <summary>From least to most rights.</summary>
    public static readonly IReadOnlyList<string> All = [Viewer, Editor, Admin];

    public static bool IsRole(string? role) => role is not null && All.Contains(role);

    /// <summary><paramref name="role"/> and every role below it.</summary>
    public static IEnumerable<string> Implied(string role) => All.Take(Rank(role) + 1);

    /// <summary>0 for viewer, 2 for admin; -1 for anything else.</summary>
    public static int Rank(string? role) => role is null ? -1 : All.ToList().IndexOf(role);

    /// <summary>The highest role of <paramref name="user"/>, or null when it has none.</summary>
    public static string? HighestOf(ClaimsPrincipal user) => All.LastOrDefault(user.IsInRole);
}

/// <summary>Claim types of KafkaMl's principals (beside <see cref="ClaimTypes.Name"/> and <see cref="ClaimTypes.Role"/>).</summary>
public static class KafkaMlClaims
{
    /// <summary>The local account's id (absent for single-sign-on and open-mode principals).</summary>
    public const string UserId = "kafkaml:user-id";

    /// <summary>The account's security stamp when the cookie was issued; a changed stamp ends the session.</summary>
    public const string Stamp = "kafkaml:stamp";

    /// <summary>How the principal signed in: password, token, oidc or open.</summary>
    public const string Method = "kafkaml:method";

    /// <summary>A principal named <paramref name="name"/> holding <paramref name="role"/> and the roles below it.</summary>
    public static ClaimsIdentity Identity(string authenticationType, string name, string role, string method, params Claim[] extra)
    {
        var identity = new ClaimsIdentity(authenticationType, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, name));
        identity.AddClaim(new Claim(Method, method));
        foreach (var implied in KafkaMlRoles.Implied(role)) identity.AddClaim(new Claim(ClaimTypes.Role, implied));
        identity.AddClaims(extra);
        return identity;
    }
}
