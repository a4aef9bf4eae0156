namespace KafkaMl.Core.Orchestration.Reporting;

/// <summary>How a job talks to the portal and how long it keeps trying (<see cref="PortalHttp"/>'s resilience pipeline: the training job's <see cref="PortalClient"/> and the inference replica's client).</summary>
public sealed record PortalClientOptions
{
    /// <summary>Longest one request may take (an upload of large weights included) before it counts as failed and is retried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Wait before the first retry; it doubles with every failed attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between two attempts (a <c>Retry-After</c> header is honoured up to this).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one request is retried while the portal is unreachable or answers 408, 429 or 5xx (a portal
    /// restart, a rolling update) before the job gives up on it.
    /// </summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromMinutes(15);
}
