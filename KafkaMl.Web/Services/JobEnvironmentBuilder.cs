using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Services;

/// <summary>
/// The environment every workload the portal starts gets (training jobs and inference replicas alike): where the
/// portal is, the workload's own token, and how to reach Kafka (<see cref="JobEnvironment.Kafka"/>: servers, control
/// topic, security settings). Tokens and Kafka credentials are secrets: the runners keep them out of logs and pod
/// specs (<see cref="JobRunnerOptions.IsSecretVariable"/>).
/// </summary>
public sealed class JobEnvironmentBuilder(PortalAddress portal, KafkaEndpoint kafka)
{
    public Dictionary<string, string> For(string token) => new(JobEnvironment.Kafka(kafka), StringComparer.Ordinal)
    {
        [JobEnvironment.PortalUrlVariable] = portal.Resolve(),
        [JobEnvironment.TokenVariable] = token,
    };
}
