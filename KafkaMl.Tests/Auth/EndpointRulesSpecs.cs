using System.Text.RegularExpressions;
using KafkaMl.Web.Auth;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;

namespace KafkaMl.Tests.Auth;

/// <summary>
/// The rules apply to every endpoint there is, including ones added after these tests were written: each API
/// endpoint but the public status needs viewer to read and editor to change, and each job endpoint refuses a request
/// without a job token.
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed partial class EndpointRulesSpecs(OrchestrationPortalFactory portal)
{
    private IReadOnlyList<RouteEndpoint> ApiEndpoints() =>
        portal.Services.GetServices<EndpointDataSource>().SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Where(e => ("/" + e.RoutePattern.RawText?.TrimStart('/')).StartsWith("/api/", StringComparison.Ordinal))
            .ToList();

    private static bool IsJobEndpoint(RouteEndpoint e) => ("/" + e.RoutePattern.RawText!.TrimStart('/')).StartsWith(ApiExtensions.JobRoutesPrefix, StringComparison.Ordinal);

    private static IReadOnlyList<string> Methods(Endpoint e) => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];

    [Fact]
    public void Every_api_endpoint_needs_the_viewer_role_to_read_and_the_editor_role_to_change()
    {
        // /api/status is public on purpose (tools find the broker there), like /healthz.
        var endpoints = ApiEndpoints().Where(e => !IsJobEndpoint(e) && e.RoutePattern.RawText != "/api/status").ToList();
        Assert.NotEmpty(endpoints);

        Assert.All(endpoints, endpoint =>
        {
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
            var reads = Methods(endpoint).All(m => m is "GET" or "HEAD");
            Assert.True(policies.Contains(reads ? KafkaMlPolicies.Read : KafkaMlPolicies.Write),
                $"{string.Join(",", Methods(endpoint))} {endpoint.RoutePattern.RawText} has policies [{string.Join(", ", policies)}]");
            Assert.Null(endpoint.Metadata.GetMetadata<IAllowAnonymous>());
        });
    }

    [Fact]
    public async Task Every_job_endpoint_refuses_a_request_without_a_job_token()
    {
        var jobEndpoints = ApiEndpoints().Where(IsJobEndpoint).ToList();
        Assert.NotEmpty(jobEndpoints);
        using var http = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).WithoutCredentials();

        foreach (var endpoint in jobEndpoints)
        {
            var path = RouteParameter().Replace("/" + endpoint.RoutePattern.RawText!.TrimStart('/'), "1");
            foreach (var method in Methods(endpoint))
            {
                using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") });
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} without a job token answered {(int)response.StatusCode}");
            }
        }
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();
}
