using System.Text.RegularExpressions;

namespace KafkaMl.Tests.Auth;

/// <summary>Signs in through the real sign-in form (antiforgery token included), as a browser does.</summary>
public static partial class PortalSignIn
{
    /// <summary>
    /// Posts <paramref name="userName"/>/<paramref name="password"/> to <c>/account/login</c> with <paramref name="http"/>,
    /// whose handler must keep cookies; returns the response (a redirect when signed in, the form again when not).
    /// </summary>
    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient http, string userName, string password, string path = "/account/login")
    {
        var page = await http.GetStringAsync(path);
        var fields = HiddenInput().Matches(page).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        fields[InputName(page, "login-username")] = userName;
        fields[InputName(page, "login-password")] = password;
        return await http.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    /// <summary>Signs in as <paramref name="userName"/> and creates an API token of theirs through the admin API (admins only).</summary>
    public static async Task<string> CreateAdminTokenAsync(Uri portal, string userName, string password)
    {
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = portal };
        using var signedIn = await PostLoginAsync(http, userName, password);
        if (signedIn.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Signing in as {userName} answered {(int)signedIn.StatusCode}: {await signedIn.Content.ReadAsStringAsync()}");
        using var created = await http.PostAsJsonAsync("/api/admin/tokens", new { name = "tests" });
        var body = await created.Content.ReadAsStringAsync();
        if (created.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"Creating a token answered {(int)created.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>The name of the input inside the element with <paramref name="testId"/>.</summary>
    private static string InputName(string page, string testId)
    {
        var match = Regex.Match(page, $"data-testid=\"{testId}\"[^>]*>\\s*<input[^>]*name=\"(?<name>[^\"]+)\"");
        return match.Success ? WebUtility.HtmlDecode(match.Groups["name"].Value) : throw new InvalidOperationException($"No input in [data-testid={testId}]:\n{page}");
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenInput();
}
