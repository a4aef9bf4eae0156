using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>The few API calls the setup needs; failures name the call and the portal's answer.</summary>
internal sealed class PortalApi(HttpClient http)
{
    /// <summary>How long a result or an inference may take to reach the state waited for.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    /// <summary>The API's JSON spelling (camelCase, as ASP.NET Core writes it).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<JsonObject> PostAsync(string path, object body, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(path, body, Json, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode) throw new BenchFailure($"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)?.AsObject() ?? throw new BenchFailure($"POST {path} answered no object.");
    }

    public async Task<JsonArray> GetArrayAsync(string path, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<JsonArray>(path, Json, cancellationToken) ?? [];

    public Task<JsonObject> DeployAsync(int configurationId, int epochs, CancellationToken cancellationToken) =>
        PostAsync("/api/deployments", new
        {
            configurationId, batchSize = 10, epochs, learningRate = 0.01, optimizer = "adam", loss = "cross_entropy", metrics = new[] { "accuracy" },
        }, cancellationToken);

    public Task WaitForResultAsync(int id, Func<string, bool> done, CancellationToken cancellationToken) =>
        WaitForStatusAsync($"result {id}", $"/api/results/{id}", done, failed: null, cancellationToken);

    public Task WaitForInferenceAsync(int id, CancellationToken cancellationToken) =>
        WaitForStatusAsync($"inference {id}", $"/api/inferences/{id}", s => s == "running", s => s is "failed" or "stopped", cancellationToken);

    public async Task<int[]> EpochCountsAsync(IEnumerable<int> results, CancellationToken cancellationToken)
    {
        var counts = new List<int>();
        foreach (var id in results)
        {
            var metrics = await http.GetFromJsonAsync<JsonObject>($"/api/results/{id}/metrics", Json, cancellationToken);
            counts.Add(metrics?["epochs"]?.AsArray().Count ?? 0);
        }
        return [.. counts];
    }

    /// <summary>Null when <c>POST /api/inferences</c> exists; else why the inference part cannot run.</summary>
    public async Task<string?> InferenceApiProblemAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("/api/inferences", cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound
            ? "this portal has no inference API (GET /api/inferences answered 404 Not Found), so no inference service can be deployed"
            : null;
    }

    /// <summary>
    /// Reads the resource at <paramref name="path"/> every 250 ms until <paramref name="done"/> accepts its status; a status
    /// <paramref name="failed"/> accepts ends the wait with the resource's error, and so does running out of patience.
    /// </summary>
    private async Task WaitForStatusAsync(
        string name, string path, Func<string, bool> done, Func<string, bool>? failed, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var resource = await http.GetFromJsonAsync<JsonObject>(path, Json, cancellationToken);
            var status = resource?["status"]?.GetValue<string>() ?? "";
            if (done(status)) return;
            if (failed?.Invoke(status) == true) throw new BenchFailure($"{name} is {status}: {resource?["error"]}");
            if (clock.Elapsed > Patience) throw new BenchFailure($"{name} is still {status} after {Patience.TotalMinutes:0} minutes.");
            await Task.Delay(250, cancellationToken);
        }
    }
}

/// <summary>Reads the ids out of the API's JSON answers.</summary>
internal static class PortalJson
{
    public static int Id(this JsonObject node) => node["id"]!.GetValue<int>();

    public static IReadOnlyList<int> ResultIds(this JsonObject deployment) =>
        deployment["results"]!.AsArray().Select(r => r!["id"]!.GetValue<int>()).ToList();
}
