namespace KafkaMl.Web.Auth;

/// <summary>How the portal reads <c>Authorization: Bearer …</c>, for both the API tokens and the metrics token.</summary>
public static class BearerToken
{
    private const string Prefix = "Bearer ";

    /// <summary>The request's bearer token (trimmed; empty when the header names none); null when it sends no bearer header.</summary>
    public static string? Of(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? header[Prefix.Length..].Trim() : null;
    }
}
