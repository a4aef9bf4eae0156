using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Auth;

/// <summary>Where the generated first-admin password is shown: the console only, never a log sink.</summary>
public interface IFirstAdminNotice
{
    void Show(string userName, string password);
}

/// <summary>Writes the one-time password straight to standard output, once, in a box that stands out in the start-up log.</summary>
public sealed class ConsoleFirstAdminNotice : IFirstAdminNotice
{
    public void Show(string userName, string password)
    {
        const string Rule = "==========================================================================";
        Console.Out.WriteLine(string.Join(Environment.NewLine,
            Rule,
            $"KafkaMl created the admin account '{userName}'.",
            $"One-time password: {password}",
            "It is shown only now and never again. Sign in at /account/login, then create",
            "accounts for your team (user menu > Users) and change this password there.",
            Rule));
        Console.Out.Flush();
    }
}

/// <summary>
/// In <c>accounts</c> mode, creates the admin account when the database has none: with <c>KafkaMl:Auth:AdminPassword</c>,
/// or with a generated password shown once through <see cref="IFirstAdminNotice"/> (the log says only where to look).
/// Runs after the database migrations (<c>StartAsync</c> follows every <c>StartingAsync</c>).
/// </summary>
public sealed partial class FirstStartAdmin(
    AccountService accounts,
    IOptions<AuthOptions> options,
    IFirstAdminNotice notice,
    ILogger<FirstStartAdmin> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var auth = options.Value;
        if (auth.IsOpen)
        {
            LogOpenMode();
            return;
        }
        if (await accounts.AnyAccountAsync(cancellationToken)) return;

        var generated = string.IsNullOrEmpty(auth.AdminPassword);
        var password = generated ? AccountService.NewSecret() : auth.AdminPassword!;
        var (_, error) = await accounts.CreateUserAsync(auth.AdminUserName, KafkaMlRoles.Admin, password, cancellationToken);
        if (error is not null)
        {
            // Another portal process on the same data directory created it a moment ago.
            if (await accounts.AnyAccountAsync(cancellationToken)) return;
            throw new InvalidOperationException($"Could not create the first admin account: {error.Message}");
        }
        if (generated)
        {
            notice.Show(auth.AdminUserName, password);
            LogGeneratedAdmin(auth.AdminUserName);
        }
        else
        {
            LogConfiguredAdmin(auth.AdminUserName);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "Created the admin account '{UserName}' with a one-time password, printed once on the console above (it is not logged)")]
    private partial void LogGeneratedAdmin(string userName);

    [LoggerMessage(LogLevel.Information, "Created the admin account '{UserName}' with the password of KafkaMl:Auth:AdminPassword")]
    private partial void LogConfiguredAdmin(string userName);

    [LoggerMessage(LogLevel.Warning, "OPEN MODE: KafkaMl:Auth:Mode=open, so every request acts as admin without signing in. "
        + "The portal listens on loopback only; use KafkaMl:Auth:Mode=accounts for anything shared")]
    private partial void LogOpenMode();
}
