using Confluent.Kafka;
using KafkaMl.Core.Control;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Streaming;
using KafkaMl.Web.Apis;
using KafkaMl.Web.Hosting;

namespace KafkaMl.Web.Services;

/// <summary>
/// Datasources (the control messages the control logger stored) as the REST API and the portal's datasources pages
/// use them: list, get, and "send again" (issue 3, item 6), which re-publishes a stored datasource's control message
/// for another deployment, so a new deployment trains on the same stream without the data being sent again.
/// </summary>
public sealed partial class DatasourceService(
    IDbContextFactory<KafkaMlDbContext> contexts,
    KafkaProducerHandle producer,
    KafkaEndpoint endpoint,
    ILogger<DatasourceService> logger)
{
    /// <summary>Why <paramref name="deploymentId"/> cannot receive a control message, or null when it can.</summary>
    public static string? DeploymentIdProblem(int? deploymentId) => deploymentId switch
    {
        null => "A deployment id is required.",
        <= 0 => $"The deployment id must be positive; got {deploymentId}.",
        _ => null,
    };

    /// <summary>Every datasource logged, newest first; only those for <paramref name="deploymentId"/> when given.</summary>
    public async Task<List<DatasourceResponse>> ListAsync(int? deploymentId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Datasources.AsNoTracking();
        if (deploymentId is { } id) query = query.Where(d => d.DeploymentId == id);
        var datasources = await query.OrderByDescending(d => d.Time).ThenByDescending(d => d.Id).ToListAsync(cancellationToken);
        return datasources.Select(DatasourceResponse.From).ToList();
    }

    public async Task<Outcome<DatasourceResponse>> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var datasource = await db.Datasources.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        return datasource is null ? DatasourceNotFound(id) : Outcome.Ok(DatasourceResponse.From(datasource));
    }

    /// <summary>
    /// Sends the control message of datasource <paramref name="datasourceId"/> — same ranges, format, config,
    /// rates, total and description — to the control topic, keyed for <paramref name="deploymentId"/>
    /// (a decimal string, as KafkaMl's sinks send it). The control logger then stores it as a new datasource.
    /// Invalid on <c>deploymentId</c> for a missing or unknown deployment; a conflict when the stored message cannot
    /// be sent again; failed when Kafka does not take it.
    /// </summary>
    public async Task<Outcome<ResentControlMessage>> ResendAsync(int datasourceId, int? deploymentId, CancellationToken cancellationToken = default)
    {
        if (DeploymentIdProblem(deploymentId) is { } idProblem) return Outcome.Invalid("deploymentId", idProblem);

        Datasource? datasource;
        bool deploymentExists;
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            datasource = await db.Datasources.AsNoTracking().SingleOrDefaultAsync(d => d.Id == datasourceId, cancellationToken);
            deploymentExists = await db.Deployments.AnyAsync(d => d.Id == deploymentId, cancellationToken);
        }
        if (datasource is null) return DatasourceNotFound(datasourceId);
        if (!deploymentExists)
        {
            // A control message for an id no deployment has yet would be picked up by whichever deployment gets it later.
            return Outcome.Invalid("deploymentId", $"Deployment {deploymentId} does not exist.");
        }

        ControlMessage message;
        try
        {
            message = ToControlMessage(datasource).EnsureValid();
        }
        catch (Exception e) when (e is ControlMessageException or DataFormatException)
        {
            return Outcome.Conflict($"Datasource {datasourceId} cannot be sent again: {e.Message}");
        }

        var key = DeploymentKey.Encode(deploymentId!.Value);
        DeliveryResult<byte[], byte[]> delivery;
        try
        {
            delivery = await producer.ProduceAsync(
                endpoint.ControlTopic,
                new Message<byte[], byte[]> { Key = key, Value = message.ToUtf8Json() },
                cancellationToken);
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            LogResendFailed(datasourceId, deploymentId.Value, endpoint.ControlTopic, e.Error.Reason);
            return Outcome.Failed(
                $"The control message could not be delivered to {endpoint.ControlTopic} at {endpoint.BootstrapServers}: {e.Error.Reason}");
        }

        LogResent(datasourceId, deploymentId.Value, delivery.TopicPartitionOffset.ToString());
        return Outcome.Ok(new ResentControlMessage(
            datasourceId, deploymentId.Value, delivery.Topic, delivery.Partition.Value, delivery.Offset.Value,
            System.Text.Encoding.ASCII.GetString(key), message));
    }

    /// <summary>The control message a datasource was logged from (an open stream — a bare topic — is incremental).</summary>
    public static ControlMessage ToControlMessage(Datasource datasource)
    {
        var openStream = !datasource.Topic.Contains(':');
        return new ControlMessage
        {
            Topic = datasource.Topic,
            InputFormat = datasource.InputFormat,
            InputConfig = InputConfig.Parse(datasource.InputConfig),
            Description = datasource.Description,
            ValidationRate = datasource.ValidationRate,
            TestRate = datasource.TestRate,
            TotalMsg = openStream ? null : datasource.TotalMsg,
            Incremental = openStream,
        };
    }

    private static Failure DatasourceNotFound(int id) => Outcome.NotFound($"Datasource {id} does not exist.");

    [LoggerMessage(LogLevel.Information, "Datasource {DatasourceId} sent again for deployment {DeploymentId} at {Position}")]
    private partial void LogResent(int datasourceId, int deploymentId, string position);

    [LoggerMessage(LogLevel.Warning, "Sending datasource {DatasourceId} again for deployment {DeploymentId} to {ControlTopic} failed: {Reason}")]
    private partial void LogResendFailed(int datasourceId, int deploymentId, string controlTopic, string reason);
}

/// <summary>A control message sent again: for which datasource and deployment, where it landed, its key and content.</summary>
public sealed record ResentControlMessage(
    int DatasourceId, int DeploymentId, string ControlTopic, int Partition, long Offset, string Key, ControlMessage Message);
