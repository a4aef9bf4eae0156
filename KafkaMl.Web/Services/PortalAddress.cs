using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Services;

/// <summary>
/// The portal's base URL as the jobs it starts reach it: <c>KafkaMl:PortalUrl</c> when set (Kubernetes: the
/// portal's Service), else the server's own listening address, preferring http over https and loopback over
/// other hosts, with wildcard hosts (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>) read as <c>127.0.0.1</c>.
/// </summary>
public sealed class PortalAddress(IOptions<OrchestrationOptions> options, IServer server)
{
    /// <summary>The base URL without a trailing slash; throws when the server listens nowhere known and none is configured.</summary>
    public string Resolve()
    {
        if (options.Value.PortalUrl is { Length: > 0 } configured) return configured.Trim().TrimEnd('/');
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return Choose(addresses)
            ?? throw new InvalidOperationException(
                "The portal's own address is not known (the server listens on no address yet); set KafkaMl:PortalUrl to the URL jobs reach the portal at.");
    }

    /// <summary>The best of the server's <paramref name="addresses"/> for a job on this machine; null when none is usable.</summary>
    public static string? Choose(IEnumerable<string> addresses) =>
        addresses
            .Select(Normalise)
            .OfType<(Uri Uri, int Rank)>()
            .OrderBy(a => a.Rank)
            .Select(a => a.Uri.GetLeftPart(UriPartial.Authority))
            .FirstOrDefault();

    private static (Uri Uri, int Rank)? Normalise(string address)
    {
        var text = address.Trim();
        var wildcard = false;
        foreach (var host in new[] { "://*", "://+", "://0.0.0.0", "://[::]" })
        {
            var at = text.IndexOf(host, StringComparison.Ordinal);
            if (at < 0) continue;
            text = string.Concat(text.AsSpan(0, at), "://127.0.0.1", text.AsSpan(at + host.Length));
            wildcard = true;
            break;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;

        var loopback = uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
        var hostRank = loopback && !wildcard ? 0 : wildcard ? 1 : 2;
        var schemeRank = uri.Scheme == "http" ? 0 : 3;
        return (uri, schemeRank + hostRank);
    }
}
