namespace KafkaMl.Web.Services.Dashboards;

/// <summary>The <c>KafkaMl:Dashboards</c> section: how the portal's shared dashboard readers live.</summary>
public sealed class DashboardOptions
{
    public const string Section = "KafkaMl:Dashboards";

    /// <summary>How long a topic's reader goes on after its last viewer left or its last summary was asked for.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The shortest time between two updates pushed to a viewer (250 ms: at most 4 a second).</summary>
    public TimeSpan PushInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Predictions, and labels, held while they wait for their other half of a ground-truth join.</summary>
    public int MaxPending { get; set; } = 10_000;

    /// <summary>The most minutes a viewer may read back ("replay the last N minutes").</summary>
    public int MaxReplayMinutes { get; set; } = 24 * 60;

    /// <summary>Why these options cannot work, one sentence per setting; empty when they can.</summary>
    public IEnumerable<string> Problems()
    {
        if (IdleTimeout <= TimeSpan.Zero) yield return $"{Section}:IdleTimeout must be positive.";
        if (PushInterval <= TimeSpan.Zero) yield return $"{Section}:PushInterval must be positive.";
        if (MaxPending < 1) yield return $"{Section}:MaxPending must be at least 1.";
        if (MaxReplayMinutes < 1) yield return $"{Section}:MaxReplayMinutes must be at least 1.";
    }
}

/// <summary>Stops the start when a <see cref="DashboardOptions"/> setting cannot work, naming each.</summary>
internal sealed class DashboardOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<DashboardOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, DashboardOptions options)
    {
        var problems = options.Problems().ToList();
        return problems.Count == 0
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(problems);
    }
}
