namespace KafkaMl.Web.Cli;

/// <summary>
/// <c>healthcheck [url]</c>: exits 0 when the portal's <c>/healthz</c> answers 200. The container's
/// HEALTHCHECK uses it because the ASP.NET runtime image has no curl.
/// </summary>
public static class HealthcheckVerb
{
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var url = args.Length > 0 ? args[0] : "http://127.0.0.1:8080/healthz";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(url, cancellationToken);
            Console.WriteLine($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"{url}: {e.Message}");
            return 1;
        }
    }
}
