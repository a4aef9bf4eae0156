using KafkaMl.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Auth;

/// <summary>
/// Access control (<c>KafkaMl:Auth</c>): in <c>accounts</c> mode a request is authenticated by its API token
/// (<c>Authorization: Bearer</c>) or else by the sign-in cookie (local password or single sign-on); in <c>open</c>
/// mode every request is the admin. Pages without a sign-in redirect to <c>/account/login</c>; API requests answer
/// 401, or 403 when the role does not allow them. Roles and policies: <see cref="KafkaMlRoles"/>, <see cref="KafkaMlPolicies"/>.
/// </summary>
public static class AuthHostingExtensions
{
    public const string LoginPath = "/account/login";
    public const string LogoutPath = "/account/logout";
    public const string AccessDeniedPath = "/account/denied";
    public const string SingleSignOnPath = "/account/login/oidc";
    private const string SelectorScheme = "KafkaMl";

    public static IHostApplicationBuilder AddKafkaMlAuth(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.AddSingleton<ListenUrls>();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<AccountService>();
        services.TryAddSingleton<IFirstAdminNotice, ConsoleFirstAdminNotice>();
        services.AddHostedService<FirstStartAdmin>();

        var auth = builder.Configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        var authentication = services.AddAuthentication(options =>
            {
                options.DefaultScheme = auth.IsOpen ? OpenModeAuthenticationHandler.SchemeName : SelectorScheme;
            })
            .AddPolicyScheme(SelectorScheme, "API token or cookie", options =>
                options.ForwardDefaultSelector = context => !ApiTokenAuthenticationHandler.HasBearer(context.Request)
                    ? CookieAuthenticationDefaults.AuthenticationScheme
                    : MetricsTokenAuthenticationHandler.Carries(context.Request)
                        ? MetricsTokenAuthenticationHandler.SchemeName
                        : ApiTokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, MetricsTokenAuthenticationHandler>(MetricsTokenAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, OpenModeAuthenticationHandler>(OpenModeAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieAuthenticationDefaults.AuthenticationScheme, options => ConfigureCookie(options, auth));
        if (auth.Oidc.Enabled) authentication.AddKafkaMlOpenIdConnect(auth.Oidc);

        services.AddAuthorization(KafkaMlPolicies.AddTo);
        services.AddCascadingAuthenticationState();
        return builder;
    }

    /// <summary>Authentication and authorization, between the static files (served to anyone) and antiforgery.</summary>
    public static WebApplication UseKafkaMlAuth(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Sign-out and the single-sign-on start; the sign-in page itself is a Blazor page (<c>Pages/Account/Login.razor</c>).</summary>
    public static IEndpointRouteBuilder MapKafkaMlAccount(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription();
        // A form post: antiforgery is checked because the handler reads the form.
        account.MapPost("/logout", async (HttpContext context, [FromForm] string? returnUrl) =>
        {
            await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return TypedResults.LocalRedirect(LocalUrl(returnUrl));
        }).AllowAnonymous();
        account.MapGet("/login/oidc", (IOptions<AuthOptions> options, string? returnUrl) =>
            options.Value.Oidc.Enabled
                ? Results.Challenge(new AuthenticationProperties { RedirectUri = LocalUrl(returnUrl) }, [OidcOptions.Scheme])
                : Results.NotFound()).AllowAnonymous();
        return app;
    }

    /// <summary><paramref name="url"/> when it stays on this site, else the home page (no open redirects).</summary>
    public static string LocalUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";

    /// <summary>True for API calls and scrapes, which get status codes rather than redirects to the sign-in page.</summary>
    public static bool IsApiRequest(HttpRequest request) =>
        (request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/api/docs"))
        || request.Path.StartsWithSegments(Telemetry.TelemetryOptions.MetricsPath);

    private static void ConfigureCookie(CookieAuthenticationOptions options, AuthOptions auth)
    {
        options.Cookie.Name = "KafkaMl.Auth";
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.ExpireTimeSpan = auth.SessionLifetime;
        options.SlidingExpiration = true;
        options.LoginPath = LoginPath;
        options.AccessDeniedPath = AccessDeniedPath;
        options.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
        options.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
        options.Events.OnValidatePrincipal = EndStaleSessionAsync;
    }

    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsApiRequest(context.Request)) context.Response.StatusCode = status;
        else context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>A local account's session ends when the account is disabled, deleted, or its role or password changed.</summary>
    private static async Task EndStaleSessionAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal;
        if (user?.FindFirst(KafkaMlClaims.UserId)?.Value is not { } id || user.FindFirst(KafkaMlClaims.Stamp)?.Value is not { } stamp)
            return; // single sign-on: the provider decides
        var accounts = context.HttpContext.RequestServices.GetRequiredService<AccountService>();
        if (!int.TryParse(id, out var userId) || !await accounts.IsSessionCurrentAsync(userId, stamp, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }
}
