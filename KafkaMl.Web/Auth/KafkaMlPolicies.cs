using Microsoft.AspNetCore.Authorization;

namespace KafkaMl.Web.Auth;

/// <summary>The authorization policies, one per role; see <see cref="KafkaMlRoles"/>.</summary>
public static class KafkaMlPolicies
{
    /// <summary>Read anything: every signed-in principal has at least the viewer role.</summary>
    public const string Read = "kafkaml-read";

    /// <summary>Create, change, delete, deploy, stop, upload, resend.</summary>
    public const string Write = "kafkaml-write";

    /// <summary>Users, API tokens, the Hangfire dashboard.</summary>
    public const string Admin = "kafkaml-admin";

    /// <summary><c>/metrics</c>: admins, and the scraper's metrics token (<see cref="MetricsTokenAuthenticationHandler"/>).</summary>
    public const string Metrics = "kafkaml-metrics";

    public static void AddTo(AuthorizationOptions options)
    {
        options.AddPolicy(Read, policy => policy.RequireAuthenticatedUser().RequireRole(KafkaMlRoles.Viewer));
        options.AddPolicy(Write, policy => policy.RequireAuthenticatedUser().RequireRole(KafkaMlRoles.Editor));
        options.AddPolicy(Admin, policy => policy.RequireAuthenticatedUser().RequireRole(KafkaMlRoles.Admin));
        options.AddPolicy(Metrics, policy => policy.RequireAuthenticatedUser().RequireRole(KafkaMlRoles.Admin, MetricsTokenAuthenticationHandler.Role));
        // Every page and endpoint without an explicit rule needs a signed-in principal; the exemptions
        // (/healthz, static assets, the sign-in page, the job endpoints) say AllowAnonymous.
        options.FallbackPolicy = options.GetPolicy(Read);
    }
}
