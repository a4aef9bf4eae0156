using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Telemetry;

/// <summary>
/// Every <see cref="TelemetryOptions.RefreshInterval"/>: reads the consumer lag of the running inference services from
/// their brokers and the job counts from the database, for the scrape and the inference page.
/// A failed round is logged (the first of a run of failures only) and tried again at the next.
/// </summary>
public sealed partial class TelemetryRefresher(
    IDbContextFactory<KafkaMlDbContext> contexts,
    ConsumerLagMonitor lag,
    WorkloadMetrics workloads,
    IOptions<TelemetryOptions> options,
    TimeProvider clock,
    ILogger<TelemetryRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, clock);
        var failing = false;
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
                if (failing) LogRecovered();
                failing = false;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (!failing) LogFailed(e);
                failing = true;
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    /// <summary>One round: the lag of every deployed or running service (on its Kafka), then the counts.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var running = await db.Inferences.AsNoTracking()
            .Where(i => i.Status == InferenceStatus.Deployed || i.Status == InferenceStatus.Running)
            .Select(i => new LagTarget(i.Id, i.InputTopic, i.BootstrapServers)).ToListAsync(cancellationToken);
        try
        {
            await lag.RefreshAsync(running, cancellationToken);
        }
        finally
        {
            await workloads.RefreshAsync(db, cancellationToken); // the counts do not wait on a Kafka that cannot be read
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Reading consumer lag and job counts for the metrics failed; retrying every interval")]
    private partial void LogFailed(Exception exception);

    [LoggerMessage(LogLevel.Information, "Consumer lag and job counts are read again")]
    private partial void LogRecovered();
}
