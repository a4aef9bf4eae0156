using Confluent.Kafka;
using Confluent.Kafka.Admin;
using KafkaMl.Core.Broker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Core.Streaming;

/// <summary>
/// A topic as it is after <see cref="ITopicCreator.EnsureAsync"/>: its partition count (null when the broker will only
/// make it on first use) and whether it was made just now.
/// </summary>
public sealed record TopicState(string Name, int? Partitions, bool Created);

/// <summary>Why topics could not be made: the cluster refused the name or the settings, refused us, or could not be reached.</summary>
public enum TopicCreationProblem
{
    /// <summary>The name or the partitions/replication factor were refused (a client error: 400).</summary>
    Refused,

    /// <summary>The credentials may not create or describe the topic (400: the request cannot succeed as it is).</summary>
    Unauthorized,

    /// <summary>The cluster did not answer (503: try again later).</summary>
    Unavailable,
}

/// <summary>Topics could not be made; <see cref="Exception.Message"/> says which and why.</summary>
public sealed class TopicCreationException(TopicCreationProblem problem, string topic, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public TopicCreationProblem Problem { get; } = problem;

    /// <summary>The topic concerned.</summary>
    public string Topic { get; } = topic;
}

/// <summary>
/// Makes topics exist before anyone consumes them, with the given partitions and replication factor; a topic that
/// already exists is used as it is (its partition count is reported, never changed). One implementation per kind of
/// broker: <see cref="EmbeddedTopicCreator"/> (librdkafka's mock cluster has no CreateTopics API) and
/// <see cref="AdminTopicCreator"/> (a real cluster's admin API); <see cref="For"/> picks.
/// </summary>
public interface ITopicCreator
{
    /// <summary>Each topic of <paramref name="names"/> as it is now, in order; throws <see cref="TopicCreationException"/>.</summary>
    Task<IReadOnlyList<TopicState>> EnsureAsync(IReadOnlyList<string> names, int partitions, short replicationFactor, CancellationToken cancellationToken = default);
}

public static class TopicCreator
{
    /// <summary>How long topic creation waits for the cluster before it answers <see cref="TopicCreationProblem.Unavailable"/>.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The most partitions a deploy asks for.</summary>
    public const int MaxPartitions = 1_000;

    /// <summary>
    /// The creator for <paramref name="endpoint"/>: the embedded broker's own topic API when it runs in this process, the
    /// admin API for a real cluster, and none (<see cref="TopicsOnFirstUse"/>) for an embedded broker this process does
    /// not hold (a host serving only part of the portal).
    /// </summary>
    public static ITopicCreator For(KafkaEndpoint endpoint, EmbeddedBroker? broker, ILoggerFactory? loggers = null) =>
        !endpoint.Embedded ? new AdminTopicCreator(endpoint, loggers?.CreateLogger<AdminTopicCreator>())
        : broker is not null ? new EmbeddedTopicCreator(broker, loggers?.CreateLogger<EmbeddedTopicCreator>())
        : new TopicsOnFirstUse();

    /// <summary>Kafka refuses a topic whose name differs from an existing one only by '.' against '_' (their metric names collide).</summary>
    public static string MetricName(string topic) => topic.Replace('.', '_');

    internal static Dictionary<string, int> Describe(IAdminClient admin, IEnumerable<string>? topics = null)
    {
        var metadata = admin.GetMetadata(Timeout);
        var wanted = topics?.ToHashSet(StringComparer.Ordinal);
        return metadata.Topics
            .Where(t => t.Error.Code == ErrorCode.NoError && (wanted is null || wanted.Contains(t.Topic)))
            .ToDictionary(t => t.Topic, t => t.Partitions.Count, StringComparer.Ordinal);
    }
}

/// <summary>Makes nothing: the broker creates each topic on first use, with its default partition count (unknown here).</summary>
public sealed class TopicsOnFirstUse : ITopicCreator
{
    public Task<IReadOnlyList<TopicState>> EnsureAsync(IReadOnlyList<string> names, int partitions, short replicationFactor, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<TopicState>>([.. names.Select(n => new TopicState(n, null, false))]);
}

/// <summary>
/// Topics on the embedded broker, through its own API (<see cref="EmbeddedBroker.CreateTopic"/>), with the name rules a
/// real broker applies that the mock does not (a name colliding with an existing one through '.' and '_' is refused).
/// </summary>
public sealed class EmbeddedTopicCreator(EmbeddedBroker broker, ILogger<EmbeddedTopicCreator>? logger = null) : ITopicCreator
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public Task<IReadOnlyList<TopicState>> EnsureAsync(IReadOnlyList<string> names, int partitions, short replicationFactor, CancellationToken cancellationToken = default) =>
        Task.Run(() => Ensure(names, partitions), cancellationToken);

    private IReadOnlyList<TopicState> Ensure(IReadOnlyList<string> names, int partitions)
    {
        try
        {
            using var admin = new AdminClientBuilder(KafkaClientConfig.Admin(broker.BootstrapServers, "kafkaml-topics"))
                .SetLogHandler((_, log) => KafkaClientConfig.Log(_logger, log))
                .Build();
            var existing = TopicCreator.Describe(admin);
            foreach (var name in names)
            {
                if (TopicNames.Problem(name) is { } problem) throw new TopicCreationException(TopicCreationProblem.Refused, name, $"Topic '{name}': {problem}");
                var collision = existing.Keys.FirstOrDefault(t => t != name && TopicCreator.MetricName(t) == TopicCreator.MetricName(name));
                if (collision is not null)
                    throw new TopicCreationException(TopicCreationProblem.Refused, name,
                        $"Topic '{name}' collides with the existing topic '{collision}' (Kafka treats '.' and '_' alike in topic names).");
            }
            var created = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in names.Where(n => !existing.ContainsKey(n)))
            {
                if (broker.CreateTopic(name, partitions)) created.Add(name);
            }
            var now = created.Count == 0 ? existing : TopicCreator.Describe(admin, names);
            return names.Select(n => new TopicState(n, now.TryGetValue(n, out var count) ? count : existing.GetValueOrDefault(n, partitions), created.Contains(n))).ToList();
        }
        catch (Exception e) when (e is ObjectDisposedException or KafkaException)
        {
            throw new TopicCreationException(TopicCreationProblem.Unavailable, names.FirstOrDefault() ?? "", $"The embedded broker is not available: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new TopicCreationException(TopicCreationProblem.Refused, names.FirstOrDefault() ?? "", e.Message, e);
        }
    }
}

/// <summary>Topics on a real cluster, through the admin API (CreateTopics); an existing topic is used as it is.</summary>
public sealed class AdminTopicCreator(KafkaEndpoint endpoint, ILogger<AdminTopicCreator>? logger = null) : ITopicCreator
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    public async Task<IReadOnlyList<TopicState>> EnsureAsync(IReadOnlyList<string> names, int partitions, short replicationFactor, CancellationToken cancellationToken = default)
    {
        var config = KafkaClientConfig.Admin(endpoint, "kafkaml-topics");
        config.SocketTimeoutMs = (int)TopicCreator.Timeout.TotalMilliseconds;
        using var admin = new AdminClientBuilder(config).SetLogHandler((_, log) => KafkaClientConfig.Log(_logger, log)).Build();
        Dictionary<string, int> existing;
        try
        {
            existing = await Task.Run(() => TopicCreator.Describe(admin), cancellationToken).ConfigureAwait(false);
        }
        catch (KafkaException e)
        {
            throw Problem(names.FirstOrDefault() ?? "", e.Error, e);
        }
        var missing = names.Where(n => !existing.ContainsKey(n)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count == 0) return [.. names.Select(n => new TopicState(n, existing[n], false))];

        var created = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var specs = missing.Select(n => new TopicSpecification { Name = n, NumPartitions = partitions, ReplicationFactor = replicationFactor }).ToList();
            var options = new CreateTopicsOptions { RequestTimeout = TopicCreator.Timeout, OperationTimeout = TopicCreator.Timeout };
            await admin.CreateTopicsAsync(specs, options).WaitAsync(TopicCreator.Timeout + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            created.UnionWith(missing);
        }
        catch (CreateTopicsException e)
        {
            foreach (var result in e.Results)
            {
                switch (result.Error.Code)
                {
                    case ErrorCode.NoError: created.Add(result.Topic); break;
                    case ErrorCode.TopicAlreadyExists: break;
                    default: throw Problem(result.Topic, result.Error, e);
                }
            }
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            // The cluster answered metadata but not CreateTopics (no controller, or no admin API: e.g. the embedded
            // broker run apart with the broker verb): let it create the topics the way it does on first use.
            _logger.LogWarning("Kafka at {BootstrapServers} did not create topics {Topics} ({Reason}); asking it to create them on first use",
                endpoint.BootstrapServers, string.Join(", ", missing), e.Message);
            return await CreateOnFirstUseAsync(admin, names, existing, missing, e, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var described = await Task.Run(() => TopicCreator.Describe(admin, names), cancellationToken).ConfigureAwait(false);
            foreach (var name in created) _logger.LogInformation("Created topic {Topic} with {Partitions} partitions", name, described.GetValueOrDefault(name, partitions));
            return [.. names.Select(n => new TopicState(n, described.TryGetValue(n, out var count) ? count : null, created.Contains(n)))];
        }
        catch (KafkaException e)
        {
            throw Problem(names.FirstOrDefault() ?? "", e.Error, e);
        }
    }

    /// <summary>Asks for each missing topic's metadata, which a broker with <c>auto.create.topics.enable</c> answers by creating it.</summary>
    private async Task<IReadOnlyList<TopicState>> CreateOnFirstUseAsync(
        IAdminClient admin, IReadOnlyList<string> names, Dictionary<string, int> existing, List<string> missing, Exception cause, CancellationToken cancellationToken)
    {
        var described = await Task.Run(() =>
        {
            foreach (var name in missing)
            {
                // A topic's metadata request allows auto-creation (librdkafka's allow.auto.create.topics, on for an admin client).
                try { admin.GetMetadata(name, TopicCreator.Timeout); } catch (KafkaException) { }
            }
            return TopicCreator.Describe(admin, names);
        }, cancellationToken).ConfigureAwait(false);
        if (missing.FirstOrDefault(n => !described.ContainsKey(n)) is { } absent)
            throw new TopicCreationException(TopicCreationProblem.Unavailable, absent,
                $"Kafka at {endpoint.BootstrapServers} could not create topic '{absent}': {cause.Message}", cause);
        return [.. names.Select(n => new TopicState(n, described[n], !existing.ContainsKey(n)))];
    }

    private TopicCreationException Problem(string topic, Error error, Exception inner)
    {
        var problem = error.Code switch
        {
            ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed or ErrorCode.SaslAuthenticationFailed
                or ErrorCode.Local_Authentication => TopicCreationProblem.Unauthorized,
            ErrorCode.TopicException or ErrorCode.InvalidPartitions or ErrorCode.InvalidReplicationFactor or ErrorCode.InvalidReplicaAssignment
                or ErrorCode.InvalidConfig or ErrorCode.PolicyViolation or ErrorCode.InvalidRequest => TopicCreationProblem.Refused,
            _ => TopicCreationProblem.Unavailable,
        };
        var what = problem switch
        {
            TopicCreationProblem.Refused => $"Kafka refused topic '{topic}'",
            TopicCreationProblem.Unauthorized => $"Kafka does not allow creating or describing topic '{topic}' with these credentials",
            _ => $"Kafka at {endpoint.BootstrapServers} could not create topic '{topic}'",
        };
        return new TopicCreationException(problem, topic, $"{what}: {error.Reason} ({error.Code}).", inner);
    }
}
