using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services.Overview;

/// <summary>A training in progress: its epochs so far, of how many (null: an incremental training, which has no end).</summary>
public sealed record RunningTraining(int ResultId, int DeploymentId, string Model, TrainingStatus Status, int EpochsDone, int? PlannedEpochs,
    IReadOnlyDictionary<string, double> LastMetrics, DateTimeOffset StatusChanged)
{
    /// <summary>Done fraction from 0 to 1; null when there is no planned end.</summary>
    public double? Progress => PlannedEpochs is > 0 and var planned ? Math.Min(1, EpochsDone / (double)planned) : null;
}

/// <summary>An inference service in service: predictions per second now (the last second reported) and the worst replica's p99.</summary>
public sealed record ServingInference(int Id, string Model, InferenceStatus Status, int LiveReplicas, int Replicas, double? MessagesPerSecond, double? LatencyP99Ms,
    long MessagesOut, string OutputTopic);

/// <summary>A finished result with its test metrics.</summary>
public sealed record LatestResult(int ResultId, string Model, IReadOnlyDictionary<string, double> TestMetrics, DateTimeOffset Finished);

/// <summary>What the overview shows, read at <see cref="At"/>.</summary>
public sealed record OverviewSnapshot(
    IReadOnlyList<RunningTraining> Trainings,
    IReadOnlyList<ServingInference> Inferences,
    IReadOnlyList<LatestResult> Results,
    IReadOnlyList<DashboardResponse> PinnedDashboards,
    DateTimeOffset At);

/// <summary>
/// The live overview's figures (issue 17, item 5), from what the portal already keeps: results and their reported
/// epochs (database), the live replicas' stats (<see cref="InferenceMonitor"/>), and the pinned dashboards. The page
/// refreshes on the <see cref="ResultsNotifier"/>'s and the monitor's announcements, throttled.
/// </summary>
public sealed class OverviewService(IDbContextFactory<KafkaMlDbContext> contexts, InferenceService inferences, TimeProvider clock)
{
    /// <summary>How many of the latest finished results are shown.</summary>
    public const int LatestResults = 5;

    public async Task<OverviewSnapshot> ReadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var active = new[] { TrainingStatus.Deployed, TrainingStatus.Training };
        var trainings = await db.TrainingResults.AsNoTracking()
            .Where(r => active.Contains(r.Status))
            .OrderByDescending(r => r.Id)
            .Select(r => new
            {
                r.Id, r.DeploymentId, Model = r.Model!.Name, r.Status, r.StatusChanged, Epochs = r.Epochs.Count,
                Planned = r.Deployment!.Incremental == null ? (int?)r.Deployment.Epochs : null,
                Last = r.Epochs.OrderByDescending(e => e.Epoch).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        var results = await db.TrainingResults.AsNoTracking()
            .Where(r => r.Status == TrainingStatus.Finished)
            .OrderByDescending(r => r.StatusChanged).ThenByDescending(r => r.Id)
            .Take(LatestResults)
            .Select(r => new LatestResult(r.Id, r.Model!.Name, r.TestMetrics, r.StatusChanged))
            .ToListAsync(cancellationToken);
        var pinned = await db.Dashboards.AsNoTracking().Where(d => d.Pinned).OrderBy(d => d.Id).ToListAsync(cancellationToken);
        var serving = (await inferences.ListAsync(cancellationToken: cancellationToken))
            .Where(i => i.Status is InferenceStatus.Created or InferenceStatus.Deployed or InferenceStatus.Running)
            .Select(i => new ServingInference(i.Id, i.ModelName, i.Status, i.Stats.Replicas.Count, i.Replicas,
                inferences.History(i.Id) is { Count: > 0 } history ? history[^1].MessagesPerSecond : null,
                i.Stats.Replicas.Max(r => r.LatencyP99Ms), i.Stats.MessagesOut, i.OutputTopic))
            .ToList();
        return new OverviewSnapshot(
            [.. trainings.Select(t => new RunningTraining(t.Id, t.DeploymentId, t.Model, t.Status, t.Epochs, t.Planned,
                t.Last is null ? new Dictionary<string, double>() : t.Last.ValMetrics.Count > 0 ? t.Last.ValMetrics : t.Last.TrainMetrics, t.StatusChanged))],
            serving,
            results,
            [.. pinned.Select(DashboardResponse.From)],
            clock.GetUtcNow());
    }
}
