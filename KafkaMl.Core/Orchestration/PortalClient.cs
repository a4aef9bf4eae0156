using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using KafkaMl.Core.Orchestration.Reporting;
using KafkaMl.Core.Jobs.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Core.Orchestration;

/// <summary>
/// A training job's side of <see cref="TrainingJobRoutes"/>: fetches the spec and sends the reports, with the job's
/// token in <see cref="JobEnvironment.TokenHeader"/> on every request (the token is never logged).
/// </summary>
/// <remarks>
/// <para>Reports are queued and sent one at a time, in order, by a background loop, so training never waits for
/// the portal. A report that meets a transient failure — connection refused, no answer in time, 408, 429, 5xx —
/// is retried by the jobs' one resilience pipeline (<see cref="PortalHttp"/>) while the reports behind it wait, so
/// epochs arrive in order once the portal is back.</para>
/// <para>401, 403 and 404 fail the report at once (the token is wrong, or the result is gone) and every later
/// report with it; 409 (the result was stopped or is already final) fails it with
/// <see cref="TrainingResultClosedException"/>, which stops the job. Other 4xx answers fail only that report.</para>
/// </remarks>
public sealed class PortalClient : ITrainingReporter, IModelVersionReporter, ISelfTrainingReporter, IInitialWeightsSource, IAsyncDisposable
{
    /// <summary>The API's JSON: camelCase (web defaults); NaN metrics of a diverged loss are written as <c>"NaN"</c>.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly PortalHttp _http;
    private readonly int _resultId;
    private readonly ILogger _logger;
    private readonly Channel<PendingReport> _queue = Channel.CreateUnbounded<PendingReport>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _disposing = new();
    private readonly Task _sender;
    private Exception? _closed;

    /// <param name="portal">The portal's base URL as jobs reach it (a path prefix is kept).</param>
    /// <param name="resultId">The result this job reports on.</param>
    /// <param name="token">The job's token; null sends none (the portal then answers 401).</param>
    /// <param name="options">Timeouts and retries.</param>
    /// <param name="logger">Receives retries and refusals.</param>
    /// <param name="handler">The HTTP handler (tests); null uses a <see cref="SocketsHttpHandler"/>.</param>
    public PortalClient(Uri portal, int resultId, string? token, PortalClientOptions? options = null, ILogger? logger = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(portal);
        _resultId = resultId;
        _logger = logger ?? NullLogger.Instance;
        _http = new PortalHttp(portal, token, options ?? new PortalClientOptions(), new PortalErrors(Refusal, GaveUp), _logger, handler);
        _sender = Task.Run(SendLoopAsync);
    }

    public Uri Portal => _http.Portal;

    public int ResultId => _resultId;

    /// <summary>Fetches the spec now (not queued), retrying transient failures.</summary>
    public async Task<TrainingJobSpec> GetSpecAsync(CancellationToken cancellationToken) =>
        await GetAsync<TrainingJobSpec>("spec request", TrainingJobRoutes.Spec(_resultId), "a training job spec", cancellationToken)
        ?? throw new TrainingReportException($"The portal's answer to GET {TrainingJobRoutes.Spec(_resultId)} is empty, not a training job spec.", (int)HttpStatusCode.NoContent, canReportFailure: true);

    public Task ReportStatusAsync(TrainingStatusReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Enqueue($"'{report.Status}' status", TrainingJobRoutes.Status(_resultId), () => JsonContent.Create(report, options: Json), cancellationToken);
    }

    public Task ReportEpochAsync(EpochReportDto report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return Enqueue($"epoch {report.Epoch.ToString(CultureInfo.InvariantCulture)} report", TrainingJobRoutes.Epochs(_resultId),
            () => JsonContent.Create(report, options: Json), cancellationToken);
    }

    /// <summary>Queues the multipart upload; the files are opened again for every attempt.</summary>
    public Task ReportResultAsync(TrainingResultReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return EnqueueUpload("result upload", TrainingJobRoutes.Result(_resultId), TrainingJobRoutes.ReportPart, JsonSerializer.Serialize(report, Json), artifacts, cancellationToken);
    }

    /// <summary>
    /// Queues the publication of a model version (multipart, like the result upload), in order with the other reports;
    /// the files must stay until the task completes. Sending the same version again is harmless (the portal keeps one).
    /// </summary>
    public Task PublishVersionAsync(ModelVersionReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        return EnqueueUpload($"version {report.Version.ToString(CultureInfo.InvariantCulture)} publication", TrainingJobRoutes.Versions(_resultId),
            TrainingJobRoutes.VersionPart, JsonSerializer.Serialize(report, Json), artifacts, cancellationToken);
    }

    /// <summary>Queues one self-training round, in order with the other reports; a round sent again replaces the earlier one.</summary>
    public Task ReportSelfTrainingRoundAsync(SelfTrainingRoundReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        var window = report.Window is { } w ? FormattableString.Invariant($" of window {w}") : "";
        return Enqueue(FormattableString.Invariant($"self-training round {report.Round}{window} report"), TrainingJobRoutes.SelfTraining(_resultId),
            () => JsonContent.Create(report, options: Json), cancellationToken);
    }

    public Task<PublishedModelVersion?> GetLatestVersionAsync(CancellationToken cancellationToken) =>
        GetAsync<PublishedModelVersion>("latest version request", TrainingJobRoutes.LatestVersion(_resultId), "a model version", cancellationToken);

    public Task DownloadVersionWeightsAsync(int version, string path, CancellationToken cancellationToken) =>
        _http.DownloadAsync($"version {version.ToString(CultureInfo.InvariantCulture)} weights request", TrainingJobRoutes.VersionWeights(_resultId, version), path, cancellationToken);

    public Task DownloadInitialWeightsAsync(string path, CancellationToken cancellationToken) =>
        _http.DownloadAsync("initial weights request", TrainingJobRoutes.InitialWeights(_resultId), path, cancellationToken);

    /// <summary>GETs <paramref name="route"/> now (not queued), retrying transient failures; null for 204 No Content.</summary>
    private async Task<T?> GetAsync<T>(string what, string route, string description, CancellationToken cancellationToken) where T : class
    {
        using var response = await _http.GetAsync(what, route, HttpCompletionOption.ResponseContentRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NoContent) return null;
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken) ?? throw new JsonException("The answer is null.");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new TrainingReportException($"The portal's answer to GET {route} is not {description}: {e.Message}", (int)response.StatusCode, canReportFailure: true, e);
        }
    }

    private Task EnqueueUpload(string what, string route, string jsonPart, string json, TrainingArtifacts artifacts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(artifacts);
        return Enqueue(what, route, () =>
        {
            var form = new MultipartFormDataContent();
            try
            {
                form.Add(new StringContent(json, Encoding.UTF8, "application/json"), jsonPart);
                form.Add(FileContent(artifacts.WeightsPath), TrainingJobRoutes.WeightsPart, Path.GetFileName(artifacts.WeightsPath));
                form.Add(FileContent(artifacts.SafetensorsPath), TrainingJobRoutes.SafetensorsPart, Path.GetFileName(artifacts.SafetensorsPath));
                return form;
            }
            catch
            {
                form.Dispose();
                throw;
            }
        }, cancellationToken);
    }

    /// <summary>Stops sending: reports still queued are cancelled.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested) return;
        _queue.Writer.TryComplete();
        await _disposing.CancelAsync();
        try
        {
            await _sender;
        }
        catch (OperationCanceledException)
        {
            // Stopped while waiting.
        }
        while (_queue.Reader.TryRead(out var left)) left.Done.TrySetCanceled();
        _http.Dispose();
        _disposing.Dispose();
    }

    private static StreamContent FileContent(string path)
    {
        var content = new StreamContent(File.OpenRead(path));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    private Task Enqueue(string what, string route, Func<HttpContent> content, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) is { } closed) return Task.FromException(closed);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        var pending = new PendingReport(what, () => new HttpRequestMessage(HttpMethod.Post, _http.Url(route)) { Content = content() }, cancellationToken);
        return _queue.Writer.TryWrite(pending)
            ? pending.Done.Task
            : Task.FromException(new ObjectDisposedException(nameof(PortalClient)));
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var report in _queue.Reader.ReadAllAsync(_disposing.Token))
            {
                if (Volatile.Read(ref _closed) is { } closed)
                {
                    report.Done.TrySetException(closed);
                    continue;
                }
                if (report.CancellationToken.IsCancellationRequested)
                {
                    report.Done.TrySetCanceled(report.CancellationToken);
                    continue;
                }
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(report.CancellationToken, _disposing.Token);
                try
                {
                    using var response = await _http.SendAsync(report.What, report.Create, HttpCompletionOption.ResponseContentRead, linked.Token);
                    report.Done.TrySetResult();
                }
                catch (OperationCanceledException) when (linked.IsCancellationRequested)
                {
                    report.Done.TrySetCanceled();
                }
                catch (Exception e)
                {
                    // The result is closed, the token refused or the portal gone: nothing later can get through either.
                    if (e is TrainingResultClosedException or TrainingReportException { CanReportFailure: false })
                        Volatile.Write(ref _closed, e);
                    report.Done.TrySetException(e);
                }
            }
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private static Exception GaveUp(string message) => new TrainingReportException(message, statusCode: null, canReportFailure: false);

    private Exception Refusal(string what, HttpStatusCode status, string described)
    {
        var id = _resultId.ToString(CultureInfo.InvariantCulture);
        Exception refusal = status switch
        {
            HttpStatusCode.Conflict => new TrainingResultClosedException(
                $"The portal no longer takes reports for result {id} ({described}); it was stopped, or finished or failed meanwhile."),
            HttpStatusCode.Unauthorized => new TrainingReportException(
                $"The portal refused the {what} ({described}): the job has no valid token (is {JobEnvironment.TokenVariable} set?).", (int)status, canReportFailure: false),
            HttpStatusCode.Forbidden => new TrainingReportException(
                $"The portal refused the {what} ({described}): the job's token is not the one of result {id}.", (int)status, canReportFailure: false),
            HttpStatusCode.NotFound => new TrainingReportException(
                $"The portal does not know result {id} ({described}): it was deleted, or {Portal} is not a KafkaMl portal.", (int)status, canReportFailure: false),
            _ => new TrainingReportException($"The portal rejected the {what} ({described}).", (int)status, canReportFailure: true),
        };
        _logger.LogError("{Refusal}", refusal.Message);
        return refusal;
    }

    private sealed record PendingReport(string What, Func<HttpRequestMessage> Create, CancellationToken CancellationToken)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
