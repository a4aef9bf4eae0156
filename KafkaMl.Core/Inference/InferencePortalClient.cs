using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Core.Inference;

/// <summary>What became of a stats report.</summary>
public enum StatsPostOutcome
{
    /// <summary>The portal took it.</summary>
    Accepted,

    /// <summary>The portal answered 404 or 409: the inference was deleted or stopped; the replica should exit.</summary>
    Gone,

    /// <summary>The portal could not be reached or answered an error; try again next time.</summary>
    Failed,
}

/// <summary>
/// An inference replica's side of its HTTP conversation with the portal (<see cref="InferenceJobRoutes"/>):
/// the spec, the weights, and the stats reports, each with the job's token header
/// (<see cref="JobEnvironment.TokenHeader"/>). JSON is camelCase as everywhere in the API. The token is never logged.
/// </summary>
public sealed class InferencePortalClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;

    /// <param name="portal">The portal's base URL as jobs reach it.</param>
    /// <param name="inferenceId">The inference this replica serves.</param>
    /// <param name="token">The job's token (null: none sent).</param>
    /// <param name="handler">For tests; null: a default handler.</param>
    public InferencePortalClient(Uri portal, int inferenceId, string? token, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(portal);
        InferenceId = inferenceId;
        Portal = portal;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: true);
        _http.BaseAddress = portal;
        _http.Timeout = TimeSpan.FromSeconds(30);
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.TryAddWithoutValidation(JobEnvironment.TokenHeader, token);
    }

    public int InferenceId { get; }

    public Uri Portal { get; }

    /// <summary>The inference's spec.</summary>
    /// <exception cref="InferencePortalException">The portal refused (<see cref="InferencePortalException.StatusCode"/>) or could not be reached.</exception>
    public async Task<InferenceJobSpec> GetSpecAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, InferenceJobRoutes.Spec(InferenceId), null, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "the inference's spec", cancellationToken).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadFromJsonAsync<InferenceJobSpec>(Json, cancellationToken).ConfigureAwait(false)
                ?? throw new InferencePortalException($"The portal sent an empty spec for inference {InferenceId}.", null);
        }
        catch (JsonException e)
        {
            throw new InferencePortalException($"The portal's spec for inference {InferenceId} is not valid: {e.Message}", null, e);
        }
    }

    /// <summary>Downloads the trained weights (TorchSharp format) to <paramref name="path"/>.</summary>
    public async Task DownloadWeightsAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, InferenceJobRoutes.Weights(InferenceId), null, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "the trained weights", cancellationToken).ConfigureAwait(false);
        await using var file = File.Create(path);
        await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Posts one stats report; never throws for HTTP or network failures (see <see cref="StatsPostOutcome"/>).</summary>
    public async Task<(StatsPostOutcome Outcome, string? Problem)> PostStatsAsync(InferenceStatsReport report, CancellationToken cancellationToken)
    {
        try
        {
            using var content = JsonContent.Create(report, options: Json);
            using var response = await SendAsync(HttpMethod.Post, InferenceJobRoutes.Stats(InferenceId), content, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return (StatsPostOutcome.Accepted, null);
            var problem = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            return response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict
                ? (StatsPostOutcome.Gone, problem)
                : (StatsPostOutcome.Failed, problem);
        }
        catch (InferencePortalException e)
        {
            return (StatsPostOutcome.Failed, e.Message);
        }
    }

    /// <summary>
    /// What the portal says of its Kafka (<c>GET /api/status</c> → <c>kafka.bootstrapServers</c>,
    /// <c>kafka.embedded</c>): the address for a replica started without
    /// <see cref="JobEnvironment.BootstrapServersVariable"/>, and whether it is the embedded broker. Nulls for
    /// what it does not say; never throws for HTTP, network or JSON failures (the status is a hint).
    /// </summary>
    public async Task<(string? BootstrapServers, bool? Embedded)> GetKafkaStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendAsync(HttpMethod.Get, "/api/status", null, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return (null, null);
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!document.RootElement.TryGetProperty("kafka", out var kafka) || kafka.ValueKind != JsonValueKind.Object) return (null, null);
            var servers = kafka.TryGetProperty("bootstrapServers", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            bool? embedded = kafka.TryGetProperty("embedded", out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null;
            return (string.IsNullOrWhiteSpace(servers) ? null : servers, embedded);
        }
        catch (Exception e) when (e is InferencePortalException or JsonException or HttpRequestException)
        {
            return (null, null);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new InferencePortalException($"The portal at {Portal} cannot be reached ({method} {path}): {e.Message}", null, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InferencePortalException($"The portal at {Portal} did not answer {method} {path} within {_http.Timeout.TotalSeconds:0} s.", null, e);
        }
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (body.Length > 300) body = body[..297] + "...";
        throw new InferencePortalException(
            $"The portal answered {(int)response.StatusCode} {response.ReasonPhrase} when asked for {what} of inference {InferenceId}{(body.Length > 0 ? $": {body}" : "")}",
            response.StatusCode);
    }
}

/// <summary>The portal refused a request or could not be reached.</summary>
public sealed class InferencePortalException(string message, HttpStatusCode? statusCode, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The portal's answer, or null when it could not be reached.</summary>
    public HttpStatusCode? StatusCode { get; } = statusCode;

    /// <summary>404 or 409: the inference was deleted or stopped.</summary>
    public bool Gone => StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict;
}
