using KafkaMl.Web.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services;

/// <summary>
/// Training results as the API and the result pages use them: the results list, a result's detail and per-epoch
/// history, a deployment's results for comparison, the job's log, the model bundle, stop and delete — each rule in
/// one place, answered as an <see cref="Outcome{T}"/> the API maps to HTTP and the pages to messages.
/// </summary>
public sealed partial class ResultService(
    IDbContextFactory<KafkaMlDbContext> contexts,
    TrainingOrchestrator orchestrator,
    ResultsNotifier notifier,
    IJobRunner runner,
    Microsoft.Extensions.Options.IOptions<KafkaMl.Core.KafkaMlOptions> options)
{
    public const int DefaultLogLines = 200;
    public const int MaxLogLines = 10_000;

    /// <summary>The results, newest first; only those in <paramref name="status"/> and of <paramref name="deploymentId"/> when given.</summary>
    public async Task<IReadOnlyList<ResultSummary>> ListAsync(
        TrainingStatus? status = null, int? deploymentId = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.TrainingResults.AsNoTracking();
        if (status is { } wanted) query = query.Where(r => r.Status == wanted);
        if (deploymentId is { } deployment) query = query.Where(r => r.DeploymentId == deployment);
        return await Summaries(query.OrderByDescending(r => r.Id)).ToListAsync(cancellationToken);
    }

    /// <summary>The results with the given ids (those that exist), in id order.</summary>
    public async Task<IReadOnlyList<ResultSummary>> SummariesAsync(IReadOnlyCollection<int> ids, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Summaries(db.TrainingResults.AsNoTracking().Where(r => ids.Contains(r.Id)).OrderBy(r => r.Id)).ToListAsync(cancellationToken);
    }

    /// <summary>Result <paramref name="id"/> with its model, deployment settings and stream; null when it does not exist.</summary>
    public async Task<ResultDetail?> DetailAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.TrainingResults.AsNoTracking()
            .Where(r => r.Id == id)
            .Select(r => new ResultDetail(
                r.Id,
                r.DeploymentId,
                r.Deployment!.Configuration!.Name,
                r.ModelId,
                r.Model!.Name,
                r.Status,
                r.Error,
                r.TrainingSeconds,
                r.StatusChanged,
                r.TrainMetrics,
                r.ValMetrics,
                r.TestMetrics,
                r.ConfusionMatrix,
                r.DataTopic,
                r.InputFormat,
                r.Status == TrainingStatus.Finished && r.WeightsPath != null,
                r.Deployment!.Epochs,
                r.Deployment!.Loss,
                r.Deployment!.Metrics,
                r.SelfTraining,
                r.Chain,
                new WeightsOrigin(r.ImportedFrom, r.ImportedFormat, r.Deployment!.InitialWeightsResultId)))
            .SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>The epochs of result <paramref name="resultId"/> from <paramref name="fromEpoch"/> on, in order: the whole history, or what is new.</summary>
    public async Task<IReadOnlyList<EpochPoint>> EpochsAsync(int resultId, int fromEpoch = 1, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.EpochMetrics.AsNoTracking()
            .Where(e => e.ResultId == resultId && e.Epoch >= fromEpoch)
            .OrderBy(e => e.Epoch)
            .Select(e => new EpochPoint(e.Epoch, e.TrainMetrics, e.ValMetrics))
            .ToListAsync(cancellationToken);
    }

    /// <summary>The whole history of each of <paramref name="resultIds"/> (an empty list for a result without epochs).</summary>
    public async Task<IReadOnlyDictionary<int, IReadOnlyList<EpochPoint>>> EpochsOfAsync(
        IReadOnlyCollection<int> resultIds, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var rows = await db.EpochMetrics.AsNoTracking()
            .Where(e => resultIds.Contains(e.ResultId))
            .OrderBy(e => e.ResultId).ThenBy(e => e.Epoch)
            .Select(e => new { e.ResultId, Point = new EpochPoint(e.Epoch, e.TrainMetrics, e.ValMetrics) })
            .ToListAsync(cancellationToken);
        var byResult = rows.ToLookup(r => r.ResultId, r => r.Point);
        return resultIds.Distinct().ToDictionary(id => id, id => (IReadOnlyList<EpochPoint>)byResult[id].ToList());
    }

    /// <summary>Deployment <paramref name="id"/>: its settings and its results; null when it does not exist.</summary>
    public async Task<DeploymentView?> DeploymentAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var deployment = await db.Deployments.AsNoTracking()
            .Where(d => d.Id == id)
            .Select(d => new { Deployment = d, Configuration = d.Configuration!.Name })
            .SingleOrDefaultAsync(cancellationToken);
        if (deployment is null) return null;
        var results = await Summaries(db.TrainingResults.AsNoTracking().Where(r => r.DeploymentId == id).OrderBy(r => r.Id))
            .ToListAsync(cancellationToken);
        return new DeploymentView(deployment.Deployment, deployment.Configuration, results);
    }

    /// <summary>
    /// Marks result <paramref name="id"/> stopped — first, so the job's reports are refused from then on (409) and a
    /// start still queued does nothing — then stops its job and tells the live pages. Only a created, deployed or
    /// training result can be stopped.
    /// </summary>
    public async Task<Outcome<TrainingResult>> StopAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        if (!await db.TrainingResults.AnyAsync(r => r.Id == id, cancellationToken)) return ResultNotFound(id);

        if (!await db.TrainingResults.TryMoveAsync(id, TrainingStatus.Stopped,
                set => set.SetProperty(r => r.Error, "Stopped on request."), cancellationToken))
        {
            var now = await db.TrainingResults.AsNoTracking().Where(r => r.Id == id).Select(r => (TrainingStatus?)r.Status).SingleOrDefaultAsync(cancellationToken);
            return now is { } status
                ? Outcome.Conflict(
                    $"Result {id} is already {status.ToName()}; only a created, deployed or training result can be stopped.", "status", status.ToName())
                : ResultNotFound(id);
        }
        await orchestrator.StopJobAsync(id, cancellationToken);

        var result = await db.TrainingResults.AsNoTracking().Include(r => r.Model).SingleAsync(r => r.Id == id, cancellationToken);
        await notifier.NotifyStatusAsync(id, result.DeploymentId, TrainingStatus.Stopped);
        return Outcome.Ok(result);
    }

    /// <summary>
    /// Deletes result <paramref name="id"/>, its history and its files, stopping its job first if it still runs.
    /// Refused while an inference serves it (also when one is created meanwhile: nothing is deleted then).
    /// </summary>
    public async Task<Outcome<Done>> DeleteAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await db.TrainingResults.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (result is null) return ResultNotFound(id);

        var inferences = await db.Inferences.AsNoTracking().Where(i => i.ResultId == id).OrderBy(i => i.Id).Select(i => i.Id).ToListAsync(cancellationToken);
        if (inferences.Count > 0)
        {
            return Outcome.Conflict(
                $"Result {id} is served by inference(s) {string.Join(", ", inferences)}; stop and delete them first.", "inferenceIds", inferences);
        }

        if (!result.Status.IsFinal()) await orchestrator.StopJobAsync(id, cancellationToken);
        db.TrainingResults.Remove(result);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.IsForeignKeyViolation())
        {
            return Outcome.Conflict($"Result {id} has just been deployed for inference; nothing was deleted.", "resultId", id);
        }
        orchestrator.DeleteResultFiles(id);
        return Outcome.Ok(Done.Value);
    }

    /// <summary>
    /// The last <paramref name="lines"/> lines of result <paramref name="id"/>'s training job's log, as its runner keeps
    /// it (1 to <see cref="MaxLogLines"/> lines); not found when the result does not exist or the runner keeps no log.
    /// </summary>
    public async Task<Outcome<string>> LogAsync(int id, int? lines = null, CancellationToken cancellationToken = default)
    {
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.TrainingResults.AnyAsync(r => r.Id == id, cancellationToken)) return ResultNotFound(id);
        }
        var log = await runner.GetLogAsync(JobSpec.TrainingName(id), Math.Clamp(lines ?? DefaultLogLines, 1, MaxLogLines), cancellationToken);
        return log is null
            ? Outcome.NotFound($"The {runner.Kind} runner keeps no log of result {id}'s training job.")
            : Outcome.Ok(log);
    }

    /// <summary>The results as the API shows them, newest first; of <paramref name="deploymentId"/> and in <paramref name="status"/> when given.</summary>
    public async Task<Outcome<List<ResultResponse>>> ListResponsesAsync(int? deploymentId, string? status, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.TrainingResults.AsNoTracking().Include(r => r.Model).AsQueryable();
        if (deploymentId is { } deployment) query = query.Where(r => r.DeploymentId == deployment);
        if (!string.IsNullOrWhiteSpace(status))
        {
            if (!EnumNames.TryParse<TrainingStatus>(status, out var wanted))
                return Outcome.Invalid("status", $"Unknown status '{status}'; use one of {string.Join(", ", EnumNames.Names<TrainingStatus>())}.");
            query = query.Where(r => r.Status == wanted);
        }
        var results = await query.OrderByDescending(r => r.Id).ToListAsync(cancellationToken);
        return Outcome.Ok(results.Select(r => ResultResponse.From(r, r.Model?.Name ?? "")).ToList());
    }

    /// <summary>Result <paramref name="id"/> as the API shows it.</summary>
    public async Task<Outcome<ResultResponse>> ResponseAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await db.TrainingResults.AsNoTracking().Include(r => r.Model).SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        return result is null ? ResultNotFound(id) : Outcome.Ok(ResultResponse.From(result, result.Model?.Name ?? ""));
    }

    /// <summary>The per-epoch train and validation metrics of result <paramref name="id"/>, as the API shows them.</summary>
    public async Task<Outcome<ResultMetricsResponse>> MetricsAsync(int id, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var status = await db.TrainingResults.AsNoTracking().Where(r => r.Id == id).Select(r => (TrainingStatus?)r.Status).SingleOrDefaultAsync(cancellationToken);
        if (status is null) return ResultNotFound(id);

        var epochs = await db.EpochMetrics.AsNoTracking().Where(e => e.ResultId == id).OrderBy(e => e.Epoch).ToListAsync(cancellationToken);
        return Outcome.Ok(new ResultMetricsResponse(id, status.Value,
            epochs.Select(e => new EpochMetricsResponse(e.Epoch, e.TrainMetrics, e.ValMetrics, e.RecordedAt)).ToList()));
    }

    private static Failure ResultNotFound(int id) => Outcome.NotFound($"Result {id} does not exist.");

    private static IQueryable<ResultSummary> Summaries(IQueryable<TrainingResult> results) =>
        results.Select(r => new ResultSummary(
            r.Id,
            r.DeploymentId,
            r.ModelId,
            r.Model!.Name,
            r.Status,
            r.TrainMetrics,
            r.ValMetrics,
            r.TestMetrics,
            r.TrainingSeconds,
            r.StatusChanged,
            r.Error,
            r.Epochs.Count,
            r.ImportedFrom != null));
}

/// <summary>A training result as a row of a list or a comparison.</summary>
/// <param name="EpochsDone">How many epochs the job has reported.</param>
/// <param name="Imported">Made from weights trained elsewhere (<c>POST /api/results/import</c>), not trained here.</param>
public sealed record ResultSummary(
    int Id,
    int DeploymentId,
    int ModelId,
    string Model,
    TrainingStatus Status,
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    IReadOnlyDictionary<string, double> TestMetrics,
    double? TrainingSeconds,
    DateTimeOffset StatusChanged,
    string? Error,
    int EpochsDone,
    bool Imported = false);

/// <summary>A training result as its page shows it.</summary>
/// <param name="PlannedEpochs">The deployment's epoch count (early stopping may end sooner).</param>
/// <param name="ModelAvailable">Finished with weights: the model bundle can be downloaded.</param>
/// <param name="SelfTraining">A semi-supervised run's rounds, by window then round; empty for a supervised one.</param>
/// <param name="Chain">An early-exit chain's per-exit metrics and exit trade-off; null for a plain model.</param>
/// <param name="Origin">Where the weights came from: imported, or trained from another result's weights.</param>
public sealed record ResultDetail(
    int Id,
    int DeploymentId,
    string Configuration,
    int ModelId,
    string Model,
    TrainingStatus Status,
    string? Error,
    double? TrainingSeconds,
    DateTimeOffset StatusChanged,
    IReadOnlyDictionary<string, double> TrainMetrics,
    IReadOnlyDictionary<string, double> ValMetrics,
    IReadOnlyDictionary<string, double> TestMetrics,
    int[][]? ConfusionMatrix,
    string? DataTopic,
    string? InputFormat,
    bool ModelAvailable,
    int PlannedEpochs,
    Loss Loss,
    IReadOnlyList<string> Metrics,
    IReadOnlyList<SelfTrainingRound> SelfTraining,
    ChainResultReport? Chain = null,
    WeightsOrigin? Origin = null)
{
    /// <summary>Created, deployed or training: the job can still be stopped.</summary>
    public bool CanStop => !Status.IsFinal();

    /// <summary>The metrics each epoch reports: the loss and the deployment's metrics.</summary>
    public IReadOnlyList<string> ExpectedMetrics => [LossMetric, .. Metrics.Where(m => m != LossMetric)];

    private const string LossMetric = KafkaMl.Core.Training.MetricNames.Loss;
}

/// <summary>The train and validation metrics of one epoch.</summary>
public sealed record EpochPoint(int Epoch, IReadOnlyDictionary<string, double> Train, IReadOnlyDictionary<string, double> Validation);

/// <summary>A deployment's settings and its results.</summary>
public sealed record DeploymentView(Deployment Deployment, string Configuration, IReadOnlyList<ResultSummary> Results);
