using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Tests.Jobs.Training;

/// <summary>
/// An in-memory portal for <see cref="Core.Jobs.Training.TrainingJob"/>: serves a spec, records every report in order,
/// and keeps copies of the uploaded weight files (the job deletes its own).
/// </summary>
internal sealed class RecordingReporter(TrainingJobSpec spec) : ITrainingReporter, IModelVersionReporter, ISelfTrainingReporter, IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<object> _reports = [];
    private readonly TaskCompletionSource _deployed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kafkaml-tests", "job-" + Guid.NewGuid().ToString("N"));

    /// <summary>When set, a report this returns non-null for fails with that exception instead of being recorded.</summary>
    public Func<object, Exception?>? Refuse { get; init; }

    /// <summary>Every report in the order the job made it: <see cref="TrainingStatusReport"/>, <see cref="EpochReportDto"/>, <see cref="SelfTrainingRoundReport"/>, <see cref="ModelVersionReport"/>, <see cref="TrainingResultReport"/>.</summary>
    public IReadOnlyList<object> Reports
    {
        get { lock (_gate) return [.. _reports]; }
    }

    public IReadOnlyList<TrainingStatusReport> Statuses => [.. Reports.OfType<TrainingStatusReport>()];

    public IReadOnlyList<EpochReportDto> Epochs => [.. Reports.OfType<EpochReportDto>()];

    public TrainingResultReport? Result => Reports.OfType<TrainingResultReport>().SingleOrDefault();

    /// <summary>The model versions published, in order.</summary>
    public IReadOnlyList<ModelVersionReport> Versions => [.. Reports.OfType<ModelVersionReport>()];

    /// <summary>The self-training rounds reported, in order.</summary>
    public IReadOnlyList<SelfTrainingRoundReport> Rounds => [.. Reports.OfType<SelfTrainingRoundReport>()];

    /// <summary>Copies of the uploaded files, or null before the result.</summary>
    public TrainingArtifacts? Artifacts { get; private set; }

    /// <summary>Completes when the job reported <c>deployed</c> (it is about to wait for its control message).</summary>
    public Task Deployed => _deployed.Task;

    public Task<TrainingJobSpec> GetSpecAsync(CancellationToken cancellationToken) => Task.FromResult(spec);

    public Task ReportStatusAsync(TrainingStatusReport report, CancellationToken cancellationToken)
    {
        var refused = Record(report);
        if (refused is null && report.Status == "deployed") _deployed.TrySetResult();
        return refused is null ? Task.CompletedTask : Task.FromException(refused);
    }

    public Task ReportEpochAsync(EpochReportDto report, CancellationToken cancellationToken) =>
        Record(report) is { } refused ? Task.FromException(refused) : Task.CompletedTask;

    public Task ReportSelfTrainingRoundAsync(SelfTrainingRoundReport report, CancellationToken cancellationToken) =>
        Record(report) is { } refused ? Task.FromException(refused) : Task.CompletedTask;

    public Task ReportResultAsync(TrainingResultReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken)
    {
        if (Refuse?.Invoke(report) is { } refused) return Task.FromException(refused);
        Directory.CreateDirectory(_directory);
        var copy = new TrainingArtifacts(Path.Combine(_directory, "model.dat"), Path.Combine(_directory, "model.safetensors"));
        File.Copy(artifacts.WeightsPath, copy.WeightsPath);
        File.Copy(artifacts.SafetensorsPath, copy.SafetensorsPath);
        Artifacts = copy;
        lock (_gate) _reports.Add(report);
        return Task.CompletedTask;
    }

    public Task PublishVersionAsync(ModelVersionReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken)
    {
        if (!File.Exists(artifacts.WeightsPath) || !File.Exists(artifacts.SafetensorsPath))
            return Task.FromException(new InvalidOperationException("A version was published without its weight files."));
        Directory.CreateDirectory(_directory);
        File.Copy(artifacts.WeightsPath, VersionWeights(report.Version), overwrite: true);
        return Record(report) is { } refused ? Task.FromException(refused) : Task.CompletedTask;
    }

    /// <summary>The last version published, with the last window reported before it (as the portal answers a job that resumes).</summary>
    public Task<PublishedModelVersion?> GetLatestVersionAsync(CancellationToken cancellationToken)
    {
        var reports = Reports;
        var at = reports.Select((r, i) => (r, i)).LastOrDefault(p => p.r is ModelVersionReport);
        if (at.r is not ModelVersionReport last) return Task.FromResult<PublishedModelVersion?>(null);
        var window = reports.Take(at.i).OfType<EpochReportDto>().Select(e => e.Epoch).DefaultIfEmpty(0).Max();
        return Task.FromResult<PublishedModelVersion?>(new PublishedModelVersion(last.Version, last.SamplesSeen, window, last.TrainMetrics, last.ValMetrics, last.Scaler, last.StreamOffsets));
    }

    public Task DownloadVersionWeightsAsync(int version, string path, CancellationToken cancellationToken)
    {
        File.Copy(VersionWeights(version), path, overwrite: true);
        return Task.CompletedTask;
    }

    private string VersionWeights(int version) => Path.Combine(_directory, $"version-{version}.dat");

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private Exception? Record(object report)
    {
        if (Refuse?.Invoke(report) is { } refused) return refused;
        lock (_gate) _reports.Add(report);
        return null;
    }
}
