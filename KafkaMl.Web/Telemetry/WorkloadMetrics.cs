using System.Diagnostics.Metrics;
using System.Globalization;
using KafkaMl.Core.Telemetry;

namespace KafkaMl.Web.Telemetry;

/// <summary>
/// The training and service series read from the portal's database by <see cref="TelemetryRefresher"/>: jobs per
/// status, and per deployment the epochs trained, the model versions published (one per trained window of an
/// incremental deployment, one per finished batch result) and the stream samples the results were trained on.
/// The job processes report all of it to the portal already, so a scrape of the portal sees it.
/// </summary>
public sealed class WorkloadMetrics
{
    public const string TrainingJobsName = "kafkaml.training.jobs";
    public const string InferenceServicesName = "kafkaml.inference.services";
    public const string EpochsName = "kafkaml.training.epochs";
    public const string VersionsName = "kafkaml.training.versions";
    public const string SamplesName = "kafkaml.training.samples_read";
    public const string StatusTag = "status";
    public const string DeploymentTag = "deployment";

    private volatile Snapshot _snapshot = Snapshot.Empty;

    public WorkloadMetrics()
    {
        var meter = KafkaMlTelemetry.Meter;
        meter.CreateObservableGauge(TrainingJobsName, () => ByStatus(_snapshot.TrainingJobs), "{job}", "Training results per status.");
        meter.CreateObservableGauge(InferenceServicesName, () => ByStatus(_snapshot.InferenceServices), "{service}", "Inference services per status.");
        meter.CreateObservableCounter(EpochsName, () => ByDeployment(d => d.Epochs), "{epoch}", "Epochs trained (reported by the training jobs).");
        meter.CreateObservableCounter(VersionsName, () => ByDeployment(d => d.Versions), "{version}",
            "Model versions published: one per trained window of an incremental deployment, one per finished batch result.");
        meter.CreateObservableCounter(SamplesName, () => ByDeployment(d => d.Samples), "{sample}", "Stream samples the results were trained and validated on.");
    }

    /// <summary>Reads the counts from the database.</summary>
    public async Task RefreshAsync(KafkaMlDbContext db, CancellationToken cancellationToken)
    {
        var results = await db.TrainingResults.AsNoTracking().Select(r => new { r.Id, r.DeploymentId, r.Status }).ToListAsync(cancellationToken);
        var services = await db.Inferences.AsNoTracking().GroupBy(i => i.Status).Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var epochs = await db.EpochMetrics.AsNoTracking().GroupBy(e => e.ResultId).Select(g => new { ResultId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(e => e.ResultId, e => (long)e.Count, cancellationToken);
        var versions = await db.ModelVersions.AsNoTracking().GroupBy(v => v.ResultId)
            .Select(g => new { ResultId = g.Key, Count = g.Count(), Samples = g.Max(v => v.SamplesSeen) })
            .ToDictionaryAsync(v => v.ResultId, cancellationToken);

        var deployments = results.GroupBy(r => r.DeploymentId).ToDictionary(g => g.Key, g => new DeploymentCounts(
            g.Sum(r => epochs.GetValueOrDefault(r.Id)),
            g.Sum(r => versions.TryGetValue(r.Id, out var v) ? v.Count : 0),
            g.Sum(r => versions.TryGetValue(r.Id, out var v) ? v.Samples : 0)));
        _snapshot = new Snapshot(
            Enum.GetValues<TrainingStatus>().ToDictionary(s => s.ToName(), s => (long)results.Count(r => r.Status == s)),
            Enum.GetValues<InferenceStatus>().ToDictionary(s => s.ToName(), s => (long)(services.SingleOrDefault(c => c.Status == s)?.Count ?? 0)),
            deployments);
    }

    private static IEnumerable<Measurement<long>> ByStatus(IReadOnlyDictionary<string, long> counts) =>
        counts.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>(StatusTag, c.Key)));

    private IEnumerable<Measurement<long>> ByDeployment(Func<DeploymentCounts, long> pick) =>
        _snapshot.Deployments.Select(d => new Measurement<long>(pick(d.Value),
            new KeyValuePair<string, object?>(DeploymentTag, d.Key.ToString(CultureInfo.InvariantCulture))));

    private sealed record DeploymentCounts(long Epochs, long Versions, long Samples);

    private sealed record Snapshot(
        IReadOnlyDictionary<string, long> TrainingJobs,
        IReadOnlyDictionary<string, long> InferenceServices,
        IReadOnlyDictionary<int, DeploymentCounts> Deployments)
    {
        public static readonly Snapshot Empty = new(new Dictionary<string, long>(), new Dictionary<string, long>(), new Dictionary<int, DeploymentCounts>());
    }
}
