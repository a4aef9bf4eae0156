using System.Diagnostics;
using KafkaMl.Core.Jobs;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;
using KafkaMl.Core.Jobs.Training;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>One timed run of a <c>bench training</c> contender.</summary>
/// <param name="Elapsed">Wall time of the whole run.</param>
/// <param name="Training">The trainer's own clock: the epochs alone.</param>
/// <param name="ControlWait">Stream: waiting on the control topic until the message was found.</param>
/// <param name="ReadDecode">Stream: from the control message found until every message of its ranges was read and decoded.</param>
/// <param name="TestMetrics">The test split's metrics (the same for both contenders when the runs are equivalent).</param>
internal sealed record TrainingRun(TimeSpan Elapsed, double Training, TimeSpan? ControlWait, TimeSpan? ReadDecode, IReadOnlyDictionary<string, double> TestMetrics);

/// <summary>
/// The two contenders of <c>bench training</c> on one workload: "memory", the training job's path after its read on samples
/// already decoded, and "stream", the real training job against the data already on its topic.
/// </summary>
/// <param name="compilation">The workload's model script, compiled before timing.</param>
/// <param name="samples">The workload's samples, decoded, in the order the job reads them.</param>
/// <param name="job">The stream contender's job: its broker, control topic and Kafka settings, and the compiler holding <paramref name="compilation"/>.</param>
internal sealed class TrainingContenders(ModelCompilation compilation, SampleSet samples, TrainingJobContext job)
{
    /// <summary>The validation and the test rate of both (the control message's).</summary>
    public const double Rate = 0.1;

    public const int TorchThreads = 1;

    /// <summary>
    /// The context a benchmark runs the training job in: one TorchSharp thread, standardised features, the script compiled
    /// by <paramref name="compiler"/> (its cache holds it, so no run pays for Roslyn), no waiting lines.
    /// </summary>
    public static TrainingJobContext JobContext(
        int resultId, string bootstrapServers, string controlTopic, IReadOnlyDictionary<string, string> kafkaSettings, ModelScriptCompiler compiler) => new()
    {
        ResultId = resultId,
        BootstrapServers = bootstrapServers,
        ControlTopic = controlTopic,
        TorchThreads = TorchThreads,
        StandardizeFeatures = true,
        KafkaSettings = kafkaSettings,
        ModelCompiler = compiler,
        WaitLogInterval = TimeSpan.FromMinutes(10),
    };

    /// <summary>The training job's path after its read, on samples already in memory.</summary>
    public async Task<TrainingRun> RunMemoryAsync(TrainingJobSpec spec, CancellationToken cancellationToken)
    {
        Settle();
        var clock = Stopwatch.StartNew();
        Trainer.SeedTorch(spec.Seed);
        var definition = await ModelScriptRunner.BuildAsync(compilation, cancellationToken);
        using var model = definition.Module;
        var (settings, _) = TrainingJob.ResolveSettings(spec, definition, Rate, Rate, TorchThreads);
        var (split, scaler) = samples.Split(settings.ValidationRate, settings.TestRate, settings.Seed).Standardize();
        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation, settings, progress: null, cancellationToken);
        var test = Evaluator.Evaluate(model, split.Test, settings.Loss, settings.Metrics, cancellationToken: cancellationToken);

        var directory = Path.Combine(Path.GetTempPath(), $"kafkaml-bench-train-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            ModelWeights.Save(model, Path.Combine(directory, ResultFiles.Weights));
            ModelWeights.ExportSafeTensors(model, Path.Combine(directory, ResultFiles.Safetensors), new Dictionary<string, string>
            {
                [TrainingJob.ModelMetadataKey] = spec.ModelName,
                [TrainingJob.LossMetadataKey] = spec.Loss,
                [TrainingJob.InputShapeMetadataKey] = string.Join(' ', samples.FeatureShape),
                [TrainingJob.ScalerMetadataKey] = scaler.ToJson(),
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
        clock.Stop();
        return new TrainingRun(clock.Elapsed, outcome.TrainingSeconds, null, null, test.Metrics);
    }

    /// <summary>The real training job, start to end, against data already on its topic.</summary>
    public async Task<TrainingRun> RunStreamAsync(TrainingJobSpec spec, CancellationToken cancellationToken)
    {
        var reporter = new InMemoryReporter(spec);
        Settle();
        var log = new StampedLog();
        var outcome = await TrainingJob.RunAsync(job, reporter, log, cancellationToken);
        var elapsed = log.Elapsed;
        cancellationToken.ThrowIfCancellationRequested();
        if (outcome.Status != TrainingJobStatus.Finished || outcome.Result is not { } result)
            throw new BenchFailure($"the training job of {spec.ModelName} ended {outcome.Status}: {outcome.Error}{Environment.NewLine}{log}");

        // Its phases, from the job's own log lines (stamped as they were reported).
        var waiting = log.At(l => l.StartsWith("waiting for a control message", StringComparison.Ordinal));
        var found = log.At(l => l.StartsWith("control message found", StringComparison.Ordinal));
        var read = log.At(l => l.StartsWith("read ", StringComparison.Ordinal));
        return new TrainingRun(elapsed, result.TrainingSeconds, found - waiting, read - found, result.TestMetrics);
    }

    /// <summary>Collects the garbage of what ran before, so neither contender pays for the other's.</summary>
    internal static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>The portal, in memory: serves the spec and accepts every report (model versions included) at once; no version was published before.</summary>
    internal sealed class InMemoryReporter(TrainingJobSpec spec) : ITrainingReporter, IModelVersionReporter
    {
        public Task<TrainingJobSpec> GetSpecAsync(CancellationToken cancellationToken) => Task.FromResult(spec);

        public Task ReportStatusAsync(TrainingStatusReport report, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ReportEpochAsync(EpochReportDto report, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ReportResultAsync(TrainingResultReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task PublishVersionAsync(ModelVersionReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<PublishedModelVersion?> GetLatestVersionAsync(CancellationToken cancellationToken) => Task.FromResult<PublishedModelVersion?>(null);

        public Task DownloadVersionWeightsAsync(int version, string path, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The in-memory portal holds no published version.");
    }

    /// <summary>The job's log lines, each stamped with the time since the job started.</summary>
    internal sealed class StampedLog : IProgress<string>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<(TimeSpan At, string Line)> _lines = [];

        public TimeSpan Elapsed => _clock.Elapsed;

        public void Report(string value)
        {
            var at = _clock.Elapsed;
            lock (_lines) _lines.Add((at, value));
        }

        /// <summary>When the first line <paramref name="match"/> accepts was reported; null when none was.</summary>
        public TimeSpan? At(Func<string, bool> match)
        {
            lock (_lines)
            {
                foreach (var (at, line) in _lines)
                    if (match(line)) return at;
            }
            return null;
        }

        /// <summary>Every line <paramref name="match"/> accepts, with when it was reported, in order.</summary>
        public IReadOnlyList<(TimeSpan At, string Line)> Where(Func<string, bool> match)
        {
            lock (_lines) return [.. _lines.Where(l => match(l.Line))];
        }

        public override string ToString()
        {
            lock (_lines) return string.Join(Environment.NewLine, _lines.Select(l => $"  {l.At.TotalSeconds,8:0.000} s  {l.Line}"));
        }
    }
}
