using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Timeout;

namespace KafkaMl.Core.Orchestration.Reporting;

/// <summary>How a job words what went wrong with the portal: a refusal (an answer that retrying cannot change) and giving up.</summary>
/// <param name="Refused">The exception for a non-transient answer: what was asked, the status, and "status reason: detail".</param>
/// <param name="GaveUp">The exception when the portal stayed unreachable or transiently failing past <see cref="PortalClientOptions.GiveUpAfter"/>.</param>
public sealed record PortalErrors(Func<string, HttpStatusCode, string, Exception> Refused, Func<string, Exception> GaveUp);

/// <summary>
/// The HTTP side every job shares with the portal (the training job's <see cref="PortalClient"/>, the inference
/// replica's client): the base URL (a path prefix is kept), the job's token in <see cref="JobEnvironment.TokenHeader"/>
/// on every request (never logged), and <b>one resilience pipeline</b> (Polly, with the HTTP predicates of
/// Microsoft.Extensions.Http.Resilience), built once from <see cref="PortalClientOptions"/>.
/// </summary>
/// <remarks>
/// A jittered exponential retry of transient failures (unreachable, 408, 429, 5xx, no answer within the per-attempt
/// <see cref="PortalClientOptions.RequestTimeout"/>) until <see cref="PortalClientOptions.GiveUpAfter"/>, a fresh request
/// per attempt; any other answer is a refusal, failed at once.
/// </remarks>
public sealed class PortalHttp : IDisposable
{
    /// <summary>When a request's first attempt started: retries stop <see cref="PortalClientOptions.GiveUpAfter"/> later.</summary>
    private static readonly ResiliencePropertyKey<long> StartedKey = new("KafkaMl.PortalRequestStarted");

    private readonly HttpClient _http;
    private readonly string _base;
    private readonly PortalErrors _errors;
    private readonly ResiliencePipeline<HttpResponseMessage> _attempt;
    private readonly ResiliencePipeline<HttpResponseMessage> _retrying;

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
        _errors = errors;
        var log = logger ?? NullLogger.Instance;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }, disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan, // per attempt: the pipeline's RequestTimeout
        };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.TryAddWithoutValidation(JobEnvironment.TokenHeader, token);

        _attempt = new ResiliencePipelineBuilder<HttpResponseMessage>().AddTimeout(options.RequestTimeout).Build();
        var retry = new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = int.MaxValue, // GiveUpAfter ends it
            BackoffType = DelayBackoffType.Exponential,
            Delay = options.FirstRetryDelay,
            MaxDelay = options.MaxRetryDelay,
            OnRetry = async args => log.LogWarning("The portal did not take the {What} (attempt {Attempt}: {Problem}); retrying in {Delay:0.0} s",
                args.Context.OperationKey, args.AttemptNumber + 1,
                args.Outcome.Result is { } response ? await ProblemText.DescribeAsync(response, args.Context.CancellationToken) : args.Outcome.Exception!.Message,
                args.RetryDelay.TotalSeconds),
        };
        var transient = retry.ShouldHandle; // HttpClientResiliencePredicates.IsTransient; an attempt under way is never cut short
        retry.ShouldHandle = async args => Stopwatch.GetElapsedTime(args.Context.Properties.GetValue(StartedKey, 0L)) < options.GiveUpAfter && await transient(args);
        var retryAfter = retry.DelayGenerator!; // the library reads Retry-After; honoured up to MaxRetryDelay
        retry.DelayGenerator = async args => await retryAfter(args) is { } asked ? TimeSpan.FromTicks(Math.Min(asked.Ticks, options.MaxRetryDelay.Ticks)) : null;
        _retrying = new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(retry).AddPipeline(_attempt).Build();
    }

    public Uri Portal { get; }

    /// <summary>The absolute URL of a route (<c>/api/...</c>).</summary>
    public string Url(string route) => _base + route;

    /// <summary>Sends a request (a fresh one per attempt) through the pipeline; throws for refusals and giving up.</summary>
    /// <param name="what">Names the request in messages: "spec request", "epoch 3 report".</param>
    /// <param name="create">Makes the request of one attempt.</param>
    /// <param name="completion">When the answer counts as received (headers only for a download read as a stream).</param>
    /// <param name="cancellationToken">Stops trying.</param>
    public async Task<HttpResponseMessage> SendAsync(
        string what, Func<HttpRequestMessage> create, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var context = ResilienceContextPool.Shared.Get(what, cancellationToken);
        context.Properties.Set(StartedKey, started);
        string problem;
        try
        {
            var response = await _retrying.ExecuteAsync(c => Send(create, completion, c.CancellationToken), context);
            if (response.IsSuccessStatusCode) return response;
            using (response)
            {
                problem = await ProblemText.DescribeAsync(response, cancellationToken);
                if (!HttpClientResiliencePredicates.IsTransient(Outcome.FromResult(response))) throw _errors.Refused(what, response.StatusCode, problem);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            problem = e.Message;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
        throw _errors.GaveUp(FormattableString.Invariant(
            $"The portal at {Portal} did not take the {what} in {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s: {problem}"));
    }

    /// <summary>GETs <paramref name="route"/> through the pipeline (<see cref="SendAsync"/>).</summary>
    public Task<HttpResponseMessage> GetAsync(string what, string route, HttpCompletionOption completion, CancellationToken cancellationToken) =>
        SendAsync(what, () => new HttpRequestMessage(HttpMethod.Get, Url(route)), completion, cancellationToken);

    /// <summary>Downloads <paramref name="route"/> to <paramref name="path"/> through the pipeline, streamed to the file.</summary>
    public async Task DownloadAsync(string what, string route, string path, CancellationToken cancellationToken)
    {
        using var response = await GetAsync(what, route, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await using var file = File.Create(path);
        await response.Content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One attempt, no retry (within the pipeline's per-attempt timeout): the answer whatever it is, or the problem when there was none.</summary>
    public async Task<(HttpResponseMessage? Response, string Problem)> AttemptAsync(
        Func<HttpRequestMessage> create, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return (await _attempt.ExecuteAsync(token => Send(create, completion, token), cancellationToken), "");
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            return (null, e.Message);
        }
    }

    public void Dispose() => _http.Dispose();

    private async ValueTask<HttpResponseMessage> Send(Func<HttpRequestMessage> create, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = create();
        return await _http.SendAsync(request, completion, cancellationToken);
    }
}
