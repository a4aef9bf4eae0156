using KafkaMl.Core.Orchestration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Core.Inference;

/// <summary>
/// Posts a replica's stats to the portal every <c>interval</c> (<c>POST .../stats</c>). A failed post is logged
/// and simply retried at the next tick — inference never waits for the portal. When the portal answers 404 or
/// 409 the inference was deleted or stopped: <see cref="RunAsync"/> returns <see cref="StatsPostOutcome.Gone"/>
/// and the replica should stop.
/// </summary>
public sealed class InferenceReporter(InferencePortalClient client, Func<InferenceStatsReport> snapshot, TimeSpan interval, ILogger? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly SemaphoreSlim _soon = new(0, 1);
    private int _failures;

    /// <summary>Has the next report posted now rather than at the next interval (several requests make one report).</summary>
    public void ReportSoon()
    {
        try
        {
            _soon.Release();
        }
        catch (SemaphoreFullException)
        {
            // A report is already due.
        }
    }

    /// <summary>Reports accepted by the portal so far.</summary>
    public int Accepted { get; private set; }

    /// <summary>Posts until cancelled (returns <see cref="StatsPostOutcome.Accepted"/>) or the portal says the inference is gone.</summary>
    public async Task<StatsPostOutcome> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                // Every interval, or sooner when asked (the replica's partitions changed).
                await _soon.WaitAsync(interval, cancellationToken).ConfigureAwait(false);
                if (await PostOnceAsync(cancellationToken).ConfigureAwait(false) == StatsPostOutcome.Gone) return StatsPostOutcome.Gone;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        return StatsPostOutcome.Accepted;
    }

    /// <summary>Posts the current stats once (e.g. the final report when stopping).</summary>
    public async Task<StatsPostOutcome> PostOnceAsync(CancellationToken cancellationToken)
    {
        var (outcome, problem) = await client.PostStatsAsync(snapshot(), cancellationToken).ConfigureAwait(false);
        switch (outcome)
        {
            case StatsPostOutcome.Accepted:
                Accepted++;
                if (_failures > 0) _logger.LogInformation("Stats reach the portal again after {Failures} failed attempt(s)", _failures);
                _failures = 0;
                break;
            case StatsPostOutcome.Gone:
                _logger.LogWarning("The portal answered {Problem} to the stats of inference {Inference}: it was deleted or stopped", problem, client.InferenceId);
                break;
            default:
                // Log the first failure and then every tenth, so an outage does not flood the log.
                if (_failures++ % 10 == 0)
                    _logger.LogWarning("Posting stats to the portal failed ({Problem}); retrying every {Interval} s", problem, interval.TotalSeconds);
                break;
        }
        return outcome;
    }
}
