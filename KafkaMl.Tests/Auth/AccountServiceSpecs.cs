using KafkaMl.Web.Auth;

namespace KafkaMl.Tests.Auth;

/// <summary>The rules of accounts and tokens, on a real SQLite database.</summary>
public sealed class AccountServiceSpecs : DatabaseSpecBase
{
    private const string Password = "a-long-enough-password";
    private readonly AccountService accounts;

    public AccountServiceSpecs() => accounts = new AccountService(new Contexts(Database), TimeProvider.System);

    [Fact]
    public async Task The_last_enabled_admin_can_be_neither_demoted_nor_disabled()
    {
        var (admin, _) = await accounts.CreateUserAsync("root", KafkaMlRoles.Admin, Password, Ct);

        var (_, demoted) = await accounts.UpdateUserAsync(admin!.Id, KafkaMlRoles.Editor, null, Ct);
        var (_, disabled) = await accounts.UpdateUserAsync(admin.Id, null, true, Ct);

        Assert.Equal("role", demoted!.Field);
        Assert.Contains("last enabled admin", demoted.Message);
        Assert.Equal("disabled", disabled!.Field);
        Assert.Equal(KafkaMlRoles.Admin, (await accounts.ListUsersAsync(Ct)).Single().Role);
    }

    [Fact]
    public async Task With_a_second_admin_the_first_can_step_down()
    {
        var (first, _) = await accounts.CreateUserAsync("first", KafkaMlRoles.Admin, Password, Ct);
        await accounts.CreateUserAsync("second", KafkaMlRoles.Admin, Password, Ct);

        var (user, error) = await accounts.UpdateUserAsync(first!.Id, KafkaMlRoles.Viewer, null, Ct);

        Assert.Null(error);
        Assert.Equal(KafkaMlRoles.Viewer, user!.Role);
    }

    [Fact]
    public async Task User_names_are_unique_ignoring_case()
    {
        await accounts.CreateUserAsync("Alice", KafkaMlRoles.Viewer, Password, Ct);

        var (_, error) = await accounts.CreateUserAsync("alice", KafkaMlRoles.Editor, Password, Ct);

        Assert.Equal("userName", error!.Field);
    }

    [Theory]
    [InlineData("bob", "superuser", Password, "role")]
    [InlineData("bob", "viewer", "short", "password")]
    [InlineData("", "viewer", Password, "userName")]
    [InlineData("bob smith", "viewer", Password, "userName")]
    public async Task Unusable_accounts_are_refused_naming_the_field(string userName, string role, string password, string field)
    {
        var (user, error) = await accounts.CreateUserAsync(userName, role, password, Ct);

        Assert.Null(user);
        Assert.Equal(field, error!.Field);
        await using var db = Database.CreateContext();
        Assert.False(await db.Users.AnyAsync());
    }

    [Fact]
    public async Task A_password_signs_in_only_its_enabled_account_with_its_roles()
    {
        var (user, _) = await accounts.CreateUserAsync("carol", KafkaMlRoles.Editor, Password, Ct);
        await accounts.CreateUserAsync("admin", KafkaMlRoles.Admin, Password, Ct);

        var principal = await accounts.CheckPasswordAsync("CAROL", Password, Ct);
        Assert.Null(await accounts.CheckPasswordAsync("carol", "wrong-password", Ct));
        Assert.Null(await accounts.CheckPasswordAsync("nobody", Password, Ct));
        await accounts.UpdateUserAsync(user!.Id, null, true, Ct);

        Assert.True(principal!.IsInRole(KafkaMlRoles.Editor) && principal.IsInRole(KafkaMlRoles.Viewer) && !principal.IsInRole(KafkaMlRoles.Admin));
        Assert.Null(await accounts.CheckPasswordAsync("carol", Password, Ct));
    }

    [Fact]
    public async Task A_token_needs_a_name_and_an_existing_owner()
    {
        await accounts.CreateUserAsync("dave", KafkaMlRoles.Viewer, Password, Ct);

        var (_, _, unnamed) = await accounts.CreateTokenAsync("dave", " ", Ct);
        var (_, _, ownerless) = await accounts.CreateTokenAsync("nobody", "script", Ct);
        var (token, secret, error) = await accounts.CreateTokenAsync("dave", "script", Ct);

        Assert.Equal("name", unnamed!.Field);
        Assert.Equal("owner", ownerless!.Field);
        Assert.Null(error);
        Assert.StartsWith(token!.Prefix, secret);
        Assert.StartsWith(AccountService.TokenPrefix, secret);
    }

    private sealed class Contexts(TestDatabase Database) : IDbContextFactory<KafkaMlDbContext>
    {
        public KafkaMlDbContext CreateDbContext() => Database.CreateContext();
    }
}
