using KafkaMl.Core;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Jobs;

/// <summary>
/// Recurring Hangfire job: removes job scratch files older than a day from the data directory's
/// <c>tmp</c> folder and records that the Hangfire server is processing work.
/// </summary>
public sealed class HousekeepingJob(IOptions<KafkaMlOptions> options, HousekeepingStatus status, ILogger<HousekeepingJob> logger)
{
    public const string RecurringId = "housekeeping";
    private static readonly TimeSpan MaxScratchAge = TimeSpan.FromDays(1);

    public Task RunAsync()
    {
        var scratch = Path.Combine(options.Value.DataDirFullPath, "tmp");
        var removed = 0;
        if (Directory.Exists(scratch))
        {
            var cutoff = DateTime.UtcNow - MaxScratchAge;
            foreach (var file in Directory.EnumerateFiles(scratch, "*", SearchOption.AllDirectories))
            {
                if (File.GetLastWriteTimeUtc(file) >= cutoff) continue;
                try { File.Delete(file); removed++; }
                catch (IOException e) { logger.LogWarning(e, "Could not remove scratch file {File}", file); }
            }
        }
        status.Record(DateTimeOffset.UtcNow, removed);
        logger.LogDebug("Housekeeping removed {Count} scratch files", removed);
        return Task.CompletedTask;
    }
}

/// <summary>When housekeeping last ran in this process: proof that the Hangfire server executes jobs.</summary>
public sealed class HousekeepingStatus
{
    private long lastRunTicks;

    public DateTimeOffset? LastRun => Interlocked.Read(ref lastRunTicks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;
    public int LastRemoved { get; private set; }
    public event Action? Ran;

    public void Record(DateTimeOffset at, int removed)
    {
        LastRemoved = removed;
        Interlocked.Exchange(ref lastRunTicks, at.UtcTicks);
        Ran?.Invoke();
    }
}
