using KafkaMl.Core.Orchestration;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// What the reconcile jobs read from the job runner, with the runner's own failures absorbed: reconcile runs every
/// 15 s, so a runner that cannot answer now is asked again on the next run rather than failing the Hangfire job.
/// </summary>
internal static partial class RunnerReadings
{
    /// <summary>Longest error text a reconcile stores: the reason whole, then as much of the log's end as fits.</summary>
    public const int MaxErrorLength = 8000;

    /// <summary>The workload's state, or null (logged) when the runner could not be asked.</summary>
    public static async Task<JobState?> TryGetStateAsync(this IJobRunner runner, string name, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await runner.GetStateAsync(name, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStateUnknown(logger, e, name);
            return null;
        }
    }

    /// <summary>
    /// <paramref name="reason"/> followed by the last <paramref name="tailLines"/> lines of the workload's log under
    /// "Last lines of <paramref name="whose"/> log:", cut from the front to stay within <see cref="MaxErrorLength"/>;
    /// the reason alone when the runner keeps no log or cannot read it.
    /// </summary>
    public static async Task<string> WithLogTailAsync(
        this IJobRunner runner, string reason, string name, int tailLines, string whose, ILogger logger, CancellationToken cancellationToken)
    {
        string? tail = null;
        try
        {
            tail = await runner.GetLogAsync(name, tailLines, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogNoLog(logger, e, name);
        }
        if (string.IsNullOrWhiteSpace(tail)) return reason;
        tail = tail.TrimEnd();
        var room = Math.Max(0, MaxErrorLength - reason.Length);
        if (tail.Length > room) tail = "…" + tail[^room..];
        return $"{reason}{Environment.NewLine}Last lines of {whose} log:{Environment.NewLine}{tail}";
    }

    [LoggerMessage(LogLevel.Warning, "Could not ask the job runner about {Job}; reconcile tries again on its next run")]
    public static partial void LogStateUnknown(ILogger logger, Exception exception, string job);

    [LoggerMessage(LogLevel.Debug, "Could not read the log of {Job}")]
    private static partial void LogNoLog(ILogger logger, Exception exception, string job);
}
