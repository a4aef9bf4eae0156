using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using KafkaMl.Core;

namespace KafkaMl.Web.Cli;

/// <summary>
/// Where <c>send</c> finds Kafka (<c>--bootstrap-servers</c>, the environment, else the running portal's
/// <c>/api/status</c>) and the probe that fails fast when no broker answers there.
/// </summary>
internal static class SendKafka
{
    private static readonly TimeSpan PortalTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan KafkaProbeTimeout = TimeSpan.FromSeconds(15);

    public static async Task<(string Bootstrap, string ControlTopic, string Source)> ResolveAsync(SendRequest request, CancellationToken cancellationToken)
    {
        if (request.BootstrapServers is { } given)
            return (given, request.ControlTopic ?? FromEnvironment(SendRequest.ControlTopicVariable) ?? KafkaOptions.DefaultControlTopic, "--bootstrap-servers");
        if (FromEnvironment(SendRequest.BootstrapServersVariable) is { } configured)
            return (configured, request.ControlTopic ?? FromEnvironment(SendRequest.ControlTopicVariable) ?? KafkaOptions.DefaultControlTopic, SendRequest.BootstrapServersVariable);

        var statusUrl = new Uri(request.Portal, "/api/status");
        using var http = new HttpClient { Timeout = PortalTimeout };
        JsonElement status;
        try
        {
            using var response = await http.GetAsync(statusUrl, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new SendFailure($"the portal at {request.Portal} answered {(int)response.StatusCode} {response.ReasonPhrase} to GET /api/status. Give the broker with --bootstrap-servers HOST:PORT.", SendVerb.Failed);
            status = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            var reason = e is TaskCanceledException ? $"no answer within {PortalTimeout.TotalSeconds:0} s" : e.Message;
            throw new SendFailure(
                $"could not reach the KafkaMl portal at {request.Portal} ({reason}) to ask where Kafka is. " +
                "Start the portal (dotnet run --project KafkaMl.Web), point --portal at it, or give the broker directly with --bootstrap-servers HOST:PORT.",
                SendVerb.Failed);
        }
        catch (JsonException e)
        {
            throw new SendFailure($"the portal at {request.Portal} answered GET /api/status with something that is not JSON ({e.Message}). Give the broker with --bootstrap-servers HOST:PORT.", SendVerb.Failed);
        }

        if (status.ValueKind != JsonValueKind.Object
            || !status.TryGetProperty("kafka", out var kafka) || kafka.ValueKind != JsonValueKind.Object
            || !kafka.TryGetProperty("bootstrapServers", out var servers) || servers.ValueKind != JsonValueKind.String
            || string.IsNullOrWhiteSpace(servers.GetString()))
            throw new SendFailure($"the portal at {request.Portal} did not say where Kafka is (no kafka.bootstrapServers in /api/status). Give the broker with --bootstrap-servers HOST:PORT.", SendVerb.Failed);
        var control = request.ControlTopic
            ?? (kafka.TryGetProperty("controlTopic", out var topic) && topic.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(topic.GetString())
                ? topic.GetString()!
                : KafkaOptions.DefaultControlTopic);
        return (servers.GetString()!, control, $"the portal at {request.Portal}");
    }

    /// <summary>Kafka found (<see cref="ResolveAsync"/>) and probed, and the sink's settings against it, checked.</summary>
    public static async Task<(string Bootstrap, string ControlTopic, string Source, KafkaMl.Core.Sinks.KafkaSinkOptions Options)> SinkOptionsAsync(
        SendRequest request, CancellationToken cancellationToken)
    {
        var (bootstrap, controlTopic, source) = await ResolveAsync(request, cancellationToken);
        var options = request.SinkOptions(bootstrap, controlTopic);
        if (options.Validate() is { Count: > 0 } problems) throw new SendFailure(string.Join(" ", problems), SendVerb.BadInput);
        Probe(bootstrap, source, request.ProducerSettings, cancellationToken);
        return (bootstrap, controlTopic, source, options);
    }

    /// <summary>The sink's log (librdkafka warnings and errors) on standard error, one line each.</summary>
    public static ILoggerFactory StandardErrorLogging() => LoggerFactory.Create(logging => logging
        .SetMinimumLevel(LogLevel.Warning)
        .AddSimpleConsole(console => console.SingleLine = true)
        .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));

    /// <summary>Fails fast, with the address, when no broker answers (instead of waiting out the producer's message timeout).</summary>
    public static void Probe(string bootstrap, string source, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var config = new AdminClientConfig
        {
            BootstrapServers = bootstrap,
            ClientId = "kafkaml-send-probe",
            SocketConnectionSetupTimeoutMs = (int)KafkaProbeTimeout.TotalMilliseconds,
        };
        // The -X settings apply to the probe too: security settings are needed to connect at all, and a
        // setting librdkafka rejects fails here, before anything is sent.
        foreach (var (key, value) in settings) config.Set(key, value);
        IAdminClient admin;
        try
        {
            admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or KafkaException)
        {
            throw new SendFailure($"-X: {e.Message.TrimEnd('.')}. Nothing was sent.", SendVerb.BadInput);
        }
        using var _ = admin;
        try
        {
            admin.GetMetadata(KafkaProbeTimeout);
        }
        catch (KafkaException e)
        {
            throw new SendFailure($"no Kafka broker answered at {bootstrap} (from {source}) within {KafkaProbeTimeout.TotalSeconds:0} s: {e.Error.Reason}. Nothing was sent.", SendVerb.Failed);
        }
    }

    private static string? FromEnvironment(string name) =>
        Environment.GetEnvironmentVariable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
