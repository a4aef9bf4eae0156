using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Orchestration.Reporting;
using Microsoft.Extensions.Logging;

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
/// the spec, the weights, and the stats reports, over the jobs' shared <see cref="PortalHttp"/> (the job's token
/// header, never logged; one resilience pipeline). JSON is camelCase as everywhere in the API.
/// </summary>
/// <remarks>
/// The spec and the weights are retried while the portal is unreachable or answers 408, 429 or 5xx — it may be
/// restarting — for about a minute (<see cref="SetupRetries"/>); a refusal (another 4xx) fails at once. Stats are
/// posted once per tick and never retried: the next tick carries newer ones.
/// </remarks>
public sealed class InferencePortalClient : IDisposable
{
    /// <summary>How long a replica keeps asking for its spec and weights: about a minute, 1 s doubling to 15 s apart.</summary>
    public static readonly PortalClientOptions SetupRetries = new()
    {
        RequestTimeout = TimeSpan.FromSeconds(30),
        FirstRetryDelay = TimeSpan.FromSeconds(1),
        MaxRetryDelay = TimeSpan.FromSeconds(15),
        GiveUpAfter = TimeSpan.FromMinutes(1),
    };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly PortalHttp _http;

    /// <param name="portal">The portal's base URL as jobs reach it.</param>
    /// <param name="inferenceId">The inference this replica serves.</param>
    /// <param name="token">The job's token (null: none sent).</param>
    /// <param name="handler">For tests; null: a default handler.</param>
    /// <param name="logger">Receives retries.</param>
    /// <param name="options">Timeouts and retries; null: <see cref="SetupRetries"/>.</param>
    public InferencePortalClient(Uri portal, int inferenceId, string? token, HttpMessageHandler? handler = null, ILogger? logger = null, PortalClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(portal);
        InferenceId = inferenceId;
        _http = new PortalHttp(portal, token, options ?? SetupRetries, new PortalErrors(Refusal, GaveUp), logger, handler);
    }

    public int InferenceId { get; }

    public Uri Portal => _http.Portal;

    /// <summary>The inference's spec.</summary>
    /// <exception cref="InferencePortalException">The portal refused (<see cref="InferencePortalException.StatusCode"/>) or could not be reached.</exception>
    public async Task<InferenceJobSpec> GetSpecAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("the inference's spec", InferenceJobRoutes.Spec(InferenceId), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Downloads the trained weights (TorchSharp format) of model <paramref name="version"/> (null: the one wanted now) to <paramref name="path"/>.</summary>
    public Task DownloadWeightsAsync(string path, CancellationToken cancellationToken, int? version = null)
    {
        var route = version is { } v ? InferenceJobRoutes.Weights(InferenceId, v) : InferenceJobRoutes.Weights(InferenceId);
        var what = version is { } n ? $"the weights of model version {n}" : "the trained weights";
        return _http.DownloadAsync(what, route, path, cancellationToken);
    }

    /// <summary>
    /// The model version to serve now (or version <paramref name="version"/>, with its scaler), asked once; null when the
    /// portal cannot be reached, refuses, or sends something else (the replica keeps serving what it serves and asks
    /// again; a deleted or stopped inference is noticed by the stats).
    /// </summary>
    public async Task<InferenceVersionSpec?> GetVersionAsync(CancellationToken cancellationToken, int? version = null)
    {
        var route = version is { } v ? InferenceJobRoutes.Version(InferenceId, v) : InferenceJobRoutes.Version(InferenceId);
        var (response, _) = await _http.AttemptAsync(() => new HttpRequestMessage(HttpMethod.Get, _http.Url(route)),
            HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            try
            {
                return response is { IsSuccessStatusCode: true } ? await response.Content.ReadFromJsonAsync<InferenceVersionSpec>(Json, cancellationToken).ConfigureAwait(false) : null;
            }
            catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
            {
                return null;
            }
        }
    }

    /// <summary>Posts one stats report, once; never throws for HTTP or network failures (see <see cref="StatsPostOutcome"/>).</summary>
    public async Task<(StatsPostOutcome Outcome, string? Problem)> PostStatsAsync(InferenceStatsReport report, CancellationToken cancellationToken)
    {
        var (response, problem) = await _http.AttemptAsync(
            () => new HttpRequestMessage(HttpMethod.Post, _http.Url(InferenceJobRoutes.Stats(InferenceId))) { Content = JsonContent.Create(report, options: Json) },
            HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response is null) return (StatsPostOutcome.Failed, $"The portal at {Portal} cannot be reached: {problem}");
        using (response)
        {
            if (response.IsSuccessStatusCode) return (StatsPostOutcome.Accepted, null);
            var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            return response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict
                ? (StatsPostOutcome.Gone, status)
                : (StatsPostOutcome.Failed, status);
        }
    }

    /// <summary>
    /// What the portal says of its Kafka (<c>GET /api/status</c> → <c>kafka.bootstrapServers</c>,
    /// <c>kafka.embedded</c>): the address for a replica started without
    /// <see cref="JobEnvironment.BootstrapServersVariable"/>, and whether it is the embedded broker. Nulls for
    /// what it does not say; asked once, never throws for HTTP, network or JSON failures (the status is a hint).
    /// </summary>
    public async Task<(string? BootstrapServers, bool? Embedded)> GetKafkaStatusAsync(CancellationToken cancellationToken)
    {
        var (response, _) = await _http.AttemptAsync(() => new HttpRequestMessage(HttpMethod.Get, _http.Url("/api/status")),
            HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            try
            {
                if (response is not { IsSuccessStatusCode: true }) return (null, null);
                using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!document.RootElement.TryGetProperty("kafka", out var kafka) || kafka.ValueKind != JsonValueKind.Object) return (null, null);
                var servers = kafka.TryGetProperty("bootstrapServers", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                bool? embedded = kafka.TryGetProperty("embedded", out var e) && e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null;
                return (string.IsNullOrWhiteSpace(servers) ? null : servers, embedded);
            }
            catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
            {
                return (null, null);
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private Exception Refusal(string what, HttpStatusCode status, string described) =>
        new InferencePortalException($"The portal answered {described} when asked for {what} of inference {InferenceId}", status);

    private static Exception GaveUp(string message) => new InferencePortalException(message, null);
}

/// <summary>The portal refused a request or could not be reached.</summary>
public sealed class InferencePortalException(string message, HttpStatusCode? statusCode, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The portal's answer, or null when it could not be reached.</summary>
    public HttpStatusCode? StatusCode { get; } = statusCode;

    /// <summary>404 or 409: the inference was deleted or stopped.</summary>
    public bool Gone => StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict;
}
