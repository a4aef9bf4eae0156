using System.Net;

namespace KafkaMl.Web.Auth;

/// <summary>
/// The addresses the portal is configured to listen on, read the way Kestrel reads them (<c>urls</c>, from
/// <c>--urls</c>, <c>ASPNETCORE_URLS</c> or appsettings; <c>http_ports</c>/<c>https_ports</c>, which mean every
/// interface; <c>Kestrel:Endpoints:*:Url</c>), so open mode is refused before anything listens.
/// </summary>
public sealed class ListenUrls(IConfiguration configuration)
{
    /// <summary>The configured addresses that are not loopback (empty when all are).</summary>
    public IReadOnlyList<string> NonLoopback()
    {
        var urls = new List<string>();
        urls.AddRange(Split(configuration["urls"]));
        urls.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        var exposed = urls.Where(url => !IsLoopback(url)).ToList();
        foreach (var key in new[] { "http_ports", "https_ports" })
            exposed.AddRange(Split(configuration[key]).Select(port => $"port {port} on every interface ({key})"));
        return exposed;
    }

    /// <summary>True for http(s)://localhost, 127.x.x.x and [::1] (any port).</summary>
    public static bool IsLoopback(string url)
    {
        // Kestrel accepts wildcards (*, +) that Uri cannot parse: those are every interface.
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)) return false;
        if (string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    private static IEnumerable<string> Split(string? list) =>
        (list ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
