using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Auth;
using KafkaMl.Web.Hosting;
using Microsoft.AspNetCore.Authorization;

namespace KafkaMl.Web.Apis;

public static class ApiExtensions
{
    /// <summary>
    /// Maps every REST resource of the platform under <c>/api</c>, inside one route group whose rule decides who may
    /// call each endpoint, so an endpoint added to any resource later inherits it:
    /// <list type="bullet">
    /// <item>GET and HEAD (reading) need the <b>viewer</b> role (<see cref="KafkaMlPolicies.Read"/>);</item>
    /// <item>every other method (create, update, delete, deploy, stop, scale, upload, resend, validate) needs
    /// <b>editor</b> (<see cref="KafkaMlPolicies.Write"/>);</item>
    /// <item>endpoints may add stricter rules of their own (the admin API requires <b>admin</b>), never looser ones;</item>
    /// <item>everything under <see cref="JobRoutesPrefix"/> is for jobs, which present their job token
    /// (<see cref="JobEnvironment.TokenHeader"/>) instead of signing in: no user is required there, and each job group
    /// checks the token of its own workload (<see cref="JobTokenFilter"/>) — a test calls every such endpoint without a
    /// token and expects 401.</item>
    /// </list>
    /// (<c>GET /api/status</c> is mapped apart, public: see <c>PortalHostingExtensions</c>.)
    /// </summary>
    public static IEndpointRouteBuilder MapKafkaMlApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("");
        api.MapModelsApi();
        api.MapConfigurationsApi();
        api.MapDatasourcesApi();
        api.MapDashboardsApi();
        api.MapKafkaMlOrchestrationApi();
        api.MapAdminApi();
        // Finally: after every group's and endpoint's own conventions, when each endpoint's methods are known.
        ((IEndpointConventionBuilder)api).Finally(RequireRoleByMethod);
        return app;
    }

    /// <summary>The routes of job reports (training, inference), authenticated by job tokens.</summary>
    public const string JobRoutesPrefix = "/api/jobs/";

    private static void RequireRoleByMethod(EndpointBuilder endpoint)
    {
        // A host without access control (the slim hosts of the handler tests) maps the API without rules, as before
        // sign-in existed; the portal always has it (AddKafkaMlAuth), and EndpointRulesTests checks its every endpoint.
        if (endpoint.ApplicationServices.GetService<IAuthorizationPolicyProvider>() is null) return;
        var route = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText ?? "";
        if (("/" + route.TrimStart('/')).StartsWith(JobRoutesPrefix, StringComparison.OrdinalIgnoreCase))
        {
            endpoint.Metadata.Add(new AllowAnonymousAttribute());
            return;
        }
        var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
        var readOnly = methods.Count > 0 && methods.All(m => HttpMethods.IsGet(m) || HttpMethods.IsHead(m));
        endpoint.Metadata.Add(new AuthorizeAttribute(readOnly ? KafkaMlPolicies.Read : KafkaMlPolicies.Write));
    }
}
