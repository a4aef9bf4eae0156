using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Core.Orchestration.Reporting;

/// <summary>How a job words what went wrong with the portal: a refusal (an answer that retrying cannot change) and giving up.</summary>
/// <param name="Refused">The exception for a non-transient answer: what was asked, the status, and "status reason: detail".</param>
/// <param name="GaveUp">The exception when the portal stayed unreachable or transiently failing past <see cref="PortalClientOptions.GiveUpAfter"/>.</param>
public sealed record PortalErrors(Func<string, HttpStatusCode, string, Exception> Refused, Func<string, Exception> GaveUp);

/// <summary>
/// The HTTP side every job shares with the portal (the training job's <see cref="PortalClient"/>, the inference
/// replica's client): the base URL (a path prefix is kept), the job's token in <see cref="JobEnvironment.TokenHeader"/>
/// on every request (never logged), and <b>one retry policy</b>.
/// </summary>
/// <remarks>
/// A request that meets a transient failure — connection refused, no answer within
/// <see cref="PortalClientOptions.RequestTimeout"/>, 408, 429, 5xx — is sent again (a fresh request per attempt) with
/// exponential backoff from <see cref="PortalClientOptions.FirstRetryDelay"/> up to
/// <see cref="PortalClientOptions.MaxRetryDelay"/>, honouring <c>Retry-After</c> up to that bound, until
/// <see cref="PortalClientOptions.GiveUpAfter"/>. Any other answer is a refusal, failed at once.
/// </remarks>
public sealed class PortalHttp : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _base;
    private readonly PortalClientOptions _options;
    private readonly PortalErrors _errors;
    private readonly ILogger _logger;

    /// <param name="portal">The portal's base URL as jobs reach it.</param>
    /// <param name="token">The job's token; null sends none (the portal then answers 401).</param>
    /// <param name="options">Timeouts and retries.</param>
    /// <param name="errors">How the job words refusals and giving up.</param>
    /// <param name="logger">Receives retries.</param>
    /// <param name="handler">The HTTP handler (tests); null uses a <see cref="SocketsHttpHandler"/>.</param>
    public PortalHttp(Uri portal, string? token, PortalClientOptions options, PortalErrors errors, ILogger? logger = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(portal);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(errors);
        if (!portal.IsAbsoluteUri || portal.Scheme is not ("http" or "https"))
            throw new ArgumentException($"The portal URL must be an absolute http(s) URL, not '{portal}'.", nameof(portal));
        Portal = portal;
        _base = portal.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _options = options;
        _errors = errors;
        _logger = logger ?? NullLogger.Instance;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan, // per attempt: PortalClientOptions.RequestTimeout
        };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.TryAddWithoutValidation(JobEnvironment.TokenHeader, token);
    }

    public Uri Portal { get; }

    /// <summary>The absolute URL of a route (<c>/api/...</c>).</summary>
    public string Url(string route) => _base + route;

    /// <summary>Sends a request (a fresh one per attempt), retrying transient failures; throws for refusals and giving up.</summary>
    /// <param name="what">Names the request in messages: "spec request", "epoch 3 report".</param>
    /// <param name="create">Makes the request of one attempt.</param>
    /// <param name="completion">When the answer counts as received (headers only for a download read as a stream).</param>
    /// <param name="cancellationToken">Stops trying.</param>
    public async Task<HttpResponseMessage> SendAsync(
        string what, Func<HttpRequestMessage> create, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var delay = _options.FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            var (response, problem) = await AttemptAsync(create, completion, cancellationToken);
            TimeSpan? retryAfter = null;
            if (response is not null)
            {
                if (response.IsSuccessStatusCode) return response;
                using (response)
                {
                    var status = (int)response.StatusCode;
                    var detail = await ProblemText.ReadAsync(response, cancellationToken);
                    var described = string.Create(CultureInfo.InvariantCulture, $"{status} {response.ReasonPhrase}") + (detail is null ? "" : $": {detail}");
                    if (!IsTransient(response.StatusCode)) throw _errors.Refused(what, response.StatusCode, described);
                    problem = described;
                    retryAfter = response.Headers.RetryAfter?.Delta
                        ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
                }
            }

            var wait = retryAfter is { } asked && asked > delay ? Min(asked, _options.MaxRetryDelay) : delay;
            if (started.Elapsed + wait > _options.GiveUpAfter)
            {
                throw _errors.GaveUp(string.Create(CultureInfo.InvariantCulture,
                    $"The portal at {Portal} did not take the {what} in {started.Elapsed.TotalSeconds:0} s ({attempt} attempts): {problem}"));
            }
            _logger.LogWarning("The portal did not take the {What} (attempt {Attempt}: {Problem}); retrying in {Delay:0.0} s",
                what, attempt, problem, wait.TotalSeconds);
            await Task.Delay(wait, cancellationToken);
            delay = Min(delay * 2, _options.MaxRetryDelay);
        }
    }

    /// <summary>One attempt, no retry: the answer whatever it is, or the problem when there was none.</summary>
    public async Task<(HttpResponseMessage? Response, string Problem)> AttemptAsync(
        Func<HttpRequestMessage> create, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var attemptTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attemptTimeout.CancelAfter(_options.RequestTimeout);
        try
        {
            using var request = create();
            return (await _http.SendAsync(request, completion, attemptTimeout.Token), "");
        }
        catch (HttpRequestException e)
        {
            return (null, e.Message);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.RequestTimeout.TotalSeconds:0.#} s"));
        }
    }

    public void Dispose() => _http.Dispose();

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
