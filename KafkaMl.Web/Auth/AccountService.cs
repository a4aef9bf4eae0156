using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using KafkaMl.Web.Data;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace KafkaMl.Web.Auth;

/// <summary>A user as the admin pages and API show it (never the hash).</summary>
public sealed record UserView(int Id, string UserName, string Role, bool Disabled, DateTimeOffset CreatedAt)
{
    public static UserView From(UserAccount user) => new(user.Id, user.UserName, user.Role, user.Disabled, user.CreatedAt);
}

/// <summary>An API token as listed (never the token nor its hash).</summary>
public sealed record TokenView(int Id, string Name, string Prefix, string Owner, string Role, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool Revoked => RevokedAt is not null;
}

/// <summary>Why an account operation was refused: the field concerned and a message for the user.</summary>
public sealed record AccountError(string Field, string Message, bool NotFound = false);

/// <summary>
/// Local accounts and API tokens: creating, changing and listing them, checking passwords and tokens. Passwords are
/// kept as ASP.NET Core Identity PBKDF2 hashes, tokens as SHA-256 hashes; neither is ever logged. The last enabled
/// admin can be neither demoted nor disabled, so the portal always has someone to manage it.
/// </summary>
public sealed class AccountService(IDbContextFactory<KafkaMlDbContext> contexts, TimeProvider clock)
{
    public const string TokenPrefix = "kml_";

    private static readonly PasswordHasher<UserAccount> Hasher = new();

    /// <summary>Verified when the user name is unknown, so an unknown name takes as long as a wrong password.</summary>
    private static readonly string DecoyHash = Hasher.HashPassword(new UserAccount(), NewSecret());

    public async Task<bool> AnyAccountAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AnyAsync(cancellationToken);
    }

    /// <summary>The cookie principal of <paramref name="userName"/> when the password is right and the account enabled; else null.</summary>
    public async Task<ClaimsPrincipal?> CheckPasswordAsync(string? userName, string? password, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password)) return null;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.SingleOrDefaultAsync(u => u.UserName == userName.Trim(), cancellationToken);
        var verdict = Hasher.VerifyHashedPassword(user ?? new UserAccount(), user?.PasswordHash ?? DecoyHash, password);
        if (user is null || user.Disabled || verdict == PasswordVerificationResult.Failed) return null;
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = Hasher.HashPassword(user, password);
            await db.SaveChangesAsync(cancellationToken);
        }
        return new ClaimsPrincipal(KafkaMlClaims.Identity(CookieAuthenticationDefaults.AuthenticationScheme, user.UserName, user.Role, "password",
            new Claim(KafkaMlClaims.UserId, user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(KafkaMlClaims.Stamp, user.SecurityStamp)));
    }

    /// <summary>True while the account of a cookie still exists, is enabled and has not changed since the cookie was issued.</summary>
    public async Task<bool> IsSessionCurrentAsync(int userId, string stamp, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AnyAsync(u => u.Id == userId && u.SecurityStamp == stamp && !u.Disabled, cancellationToken);
    }

    /// <summary>The principal of a valid, unrevoked API token of an enabled account; else null.</summary>
    public async Task<ClaimsPrincipal?> AuthenticateTokenAsync(string token, string authenticationType, CancellationToken cancellationToken)
    {
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal)) return null;
        var hash = Hash(token);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var found = await db.ApiTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash && t.RevokedAt == null && !t.User!.Disabled)
            .Select(t => new { t.User!.UserName, t.User.Role, t.UserId, t.Name })
            .SingleOrDefaultAsync(cancellationToken);
        return found is null ? null : new ClaimsPrincipal(KafkaMlClaims.Identity(authenticationType, found.UserName, found.Role, "token",
            new Claim(KafkaMlClaims.UserId, found.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture))));
    }

    public async Task<IReadOnlyList<UserView>> ListUsersAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Id).ToListAsync(cancellationToken);
        return users.Select(UserView.From).ToList();
    }

    public async Task<(UserView? User, AccountError? Error)> CreateUserAsync(string? userName, string? role, string? password, CancellationToken cancellationToken)
    {
        var name = userName?.Trim() ?? "";
        if (name.Length == 0 || name.Length > UserAccount.UserNameMaxLength || name.Any(char.IsWhiteSpace))
            return (null, new AccountError("userName", $"A user name has 1 to {UserAccount.UserNameMaxLength} characters and no spaces."));
        if (CheckRole(role) is { } badRole) return (null, badRole);
        if (CheckPassword(password) is { } badPassword) return (null, badPassword);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = new UserAccount { UserName = name, Role = role!, CreatedAt = clock.GetUtcNow() };
        user.PasswordHash = Hasher.HashPassword(user, password!);
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsUniqueViolation())
        {
            return (null, new AccountError("userName", $"A user named '{name}' exists already."));
        }
        return (UserView.From(user), null);
    }

    /// <summary>Changes the role and/or the disabled flag; either may be null to keep it.</summary>
    public async Task<(UserView? User, AccountError? Error)> UpdateUserAsync(int id, string? role, bool? disabled, CancellationToken cancellationToken)
    {
        if (role is not null && CheckRole(role) is { } badRole) return (null, badRole);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null) return (null, UserNotFound(id));

        var losesAdmin = user.Role == KafkaMlRoles.Admin && !user.Disabled
            && ((role is not null && role != KafkaMlRoles.Admin) || disabled == true);
        if (losesAdmin && !await db.Users.AnyAsync(u => u.Id != id && u.Role == KafkaMlRoles.Admin && !u.Disabled, cancellationToken))
            return (null, new AccountError(role is not null ? "role" : "disabled", $"'{user.UserName}' is the last enabled admin; make another user admin first."));

        user.Role = role ?? user.Role;
        user.Disabled = disabled ?? user.Disabled;
        user.SecurityStamp = UserAccount.NewStamp();
        await db.SaveChangesAsync(cancellationToken);
        return (UserView.From(user), null);
    }

    public async Task<AccountError?> SetPasswordAsync(int id, string? password, CancellationToken cancellationToken)
    {
        if (CheckPassword(password) is { } badPassword) return badPassword;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null) return UserNotFound(id);
        user.PasswordHash = Hasher.HashPassword(user, password!);
        user.SecurityStamp = UserAccount.NewStamp();
        await db.SaveChangesAsync(cancellationToken);
        return null;
    }

    public async Task<IReadOnlyList<TokenView>> ListTokensAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var tokens = await db.ApiTokens.AsNoTracking().Include(t => t.User).OrderBy(t => t.Id).ToListAsync(cancellationToken);
        return tokens.Select(ToView).ToList();
    }

    /// <summary>A new token for <paramref name="ownerUserName"/>'s account: its view and the token itself, which exists nowhere else afterwards.</summary>
    public async Task<(TokenView? Token, string? Secret, AccountError? Error)> CreateTokenAsync(string? ownerUserName, string? name, CancellationToken cancellationToken)
    {
        var label = name?.Trim() ?? "";
        if (label.Length == 0 || label.Length > ApiToken.NameMaxLength)
            return (null, null, new AccountError("name", $"A token needs a name of 1 to {ApiToken.NameMaxLength} characters saying what it is for."));
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var owner = await db.Users.SingleOrDefaultAsync(u => u.UserName == (ownerUserName ?? "").Trim(), cancellationToken);
        if (owner is null) return (null, null, new AccountError("owner", $"There is no user named '{ownerUserName}'."));

        var secret = TokenPrefix + NewSecret(32);
        var token = new ApiToken { UserId = owner.Id, User = owner, Name = label, TokenHash = Hash(secret), Prefix = secret[..12], CreatedAt = clock.GetUtcNow() };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        return (ToView(token), secret, null);
    }

    /// <summary>Revokes token <paramref name="id"/> (again is fine); false when there is no such token.</summary>
    public async Task<bool> RevokeTokenAsync(int id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null) return false;
        token.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>A random URL-safe secret of <paramref name="bytes"/> bytes (passwords, tokens).</summary>
    public static string NewSecret(int bytes = 18) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static TokenView ToView(ApiToken token) =>
        new(token.Id, token.Name, token.Prefix, token.User?.UserName ?? "", token.User?.Role ?? "", token.CreatedAt, token.RevokedAt);

    private static AccountError? CheckRole(string? role) =>
        KafkaMlRoles.IsRole(role) ? null : new AccountError("role", $"The role must be one of {string.Join(", ", KafkaMlRoles.All)} ('{role}' given).");

    private static AccountError? CheckPassword(string? password) =>
        password is { Length: >= AuthOptionsValidator.MinPasswordLength }
            ? null
            : new AccountError("password", $"A password has at least {AuthOptionsValidator.MinPasswordLength} characters.");

    private static AccountError UserNotFound(int id) => new("id", $"User {id} does not exist.", NotFound: true);
}
