using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace KafkaMl.Web.Apis;

/// <summary>
/// Handlers answer precise types such as <c>NotFound&lt;ProblemDetails&gt;</c> (documented in OpenAPI, checked by
/// tests), but those write <c>application/json</c>. This filter re-issues any error result carrying a
/// <see cref="ProblemDetails"/> as a problem result, so the wire says <c>application/problem+json</c> (RFC 7807)
/// and the registered <see cref="IProblemDetailsService"/> customisations apply.
/// </summary>
public sealed class ProblemJsonFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        var inner = result is INestedHttpResult nested ? nested.Result : result;
        if (inner is IValueHttpResult { Value: ProblemDetails problem } and IStatusCodeHttpResult { StatusCode: >= 400 and var status }
            and not ProblemHttpResult and not ValidationProblem)
        {
            problem.Status ??= status;
            return TypedResults.Problem(problem);
        }
        return result;
    }
}

public static class ProblemJsonFilterExtensions
{
    /// <summary>Makes every error result of the group carrying <see cref="ProblemDetails"/> answer <c>application/problem+json</c>.</summary>
    public static RouteGroupBuilder WithProblemJson(this RouteGroupBuilder group) => group.AddEndpointFilter<ProblemJsonFilter>();
}
