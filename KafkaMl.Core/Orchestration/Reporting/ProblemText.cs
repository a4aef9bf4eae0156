using System.Text.Json;

namespace KafkaMl.Core.Orchestration.Reporting;

/// <summary>An error answer in words: "status reason: detail", the detail being a problem details' <c>detail</c> (or <c>title</c>), or the start of the text.</summary>
internal static class ProblemText
{
    private const int MaxLength = 300;

    public static async Task<string> DescribeAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        FormattableString.Invariant($"{(int)response.StatusCode} {response.ReasonPhrase}") + (await ReadAsync(response, cancellationToken) is { } detail ? $": {detail}" : "");

    private static async Task<string?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(text)) return null;
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (string[])["detail", "title"])
                {
                    if (json.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } found)
                        return Shorten(found);
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the text itself.
        }
        return Shorten(text.Trim());
    }

    private static string Shorten(string text) => text.Length <= MaxLength ? text : text[..(MaxLength - 1)] + "…";
}
