namespace KafkaMl.Web.Services;

/// <summary>
/// The orchestration keys of the <c>KafkaMl</c> section (<c>KafkaMl:PortalUrl</c>, <c>KafkaMl:JobTokenSecret</c>,
/// <c>KafkaMl:UnknownJobGrace</c>), bound beside <see cref="KafkaMl.Core.KafkaMlOptions"/>.
/// </summary>
public sealed class OrchestrationOptions
{
    /// <summary>
    /// The portal's base URL as jobs reach it (e.g. <c>http://kafkaml-portal:8080</c> in Kubernetes). Empty: the
    /// portal's own listening address, preferring loopback http (right for the local runner).
    /// </summary>
    public string? PortalUrl { get; set; }

    /// <summary>
    /// The secret job tokens are derived from (at least 16 characters). Empty: a random secret generated once and
    /// kept in <c>&lt;DataDir&gt;/job-token.key</c>, readable by the portal's user only. Set it when several portal
    /// replicas, or a portal without a persistent data directory, must accept the same tokens.
    /// </summary>
    public string? JobTokenSecret { get; set; }

    /// <summary>
    /// How long after a workload's last status change (a training result deployed, an inference deployed or running)
    /// the runner may not know it (not yet visible, or gone) before reconcile marks it failed.
    /// </summary>
    public TimeSpan UnknownJobGrace { get; set; } = TimeSpan.FromMinutes(1);
}
