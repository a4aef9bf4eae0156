using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Jobs.Training;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Federated;

/// <summary>
/// A site's worker for one matched model: builds the announced model, reads the dataset's ranges from the site's own
/// broker (<see cref="RangeDataSource"/>, as a training job does), then answers each round's global weights — round 0
/// with its standardisation statistics, later rounds with the weights <see cref="LocalRound"/> trained — until the final
/// global weights come, which it evaluates on its own test split (the dataset's <c>test_rate</c>) and answers with the
/// test metrics. Only what the manifest names leaves the site: weights, sample counts, metrics, statistics.
/// </summary>
public static class SiteWorker
{
    public static async Task RunAsync(SiteOptions site, ModelAnnouncement model, SiteDataset dataset, IProgress<string> log, CancellationToken cancellationToken)
    {
        var say = (string line) => log.Report($"[{site.Site} · result {model.ResultId}] {line}");
        var definition = await ModelBuilder.BuildAsync(model.ModelCode, compiler: null, model.Training.Seed, cancellationToken);
        using var module = definition.Module;
        var settings = Settings(model, dataset, site);
        var split = await ReadSplitAsync(site, model, dataset, definition, settings, say, cancellationToken);
        say(string.Create(CultureInfo.InvariantCulture, $"{split.Train.Count} samples to train on, {split.Validation.Count} for validation (dataset '{dataset.Key}')"));

        using var reader = new TransferReader(site.CloudBootstrapServers, model.GlobalTopic, $"kafkaml-site-{site.Site}", site.KafkaSettings, site.KafkaLogger);
        using var publisher = new TransferPublisher(site.CloudBootstrapServers, $"kafkaml-site-{site.Site}", site.KafkaSettings, site.KafkaLogger);
        var answered = -1;
        ReceivedTransfer? latest = null;
        (FeatureScaler Scaler, SampleSplit Split)? scaled = null;
        while (true)
        {
            var read = await Task.Run(() => reader.Next(TimeSpan.FromSeconds(1), cancellationToken), cancellationToken);
            if (read.Rejected is { } rejected) say($"global weights rejected: {rejected.Message}");
            if (read.Transfer is { Manifest.Kind: TransferKinds.Global } transfer && transfer.Manifest.Round > answered) latest = transfer;
            // Only the newest round is answered: a site that (re)joins late skips the rounds that are over.
            if (!read.AtEnd || latest is null) continue;
            var manifest = latest.Manifest;
            var global = latest.Weights;
            latest = null;
            answered = manifest.Round;
            var update = new TransferManifest
            {
                Transfer = Guid.NewGuid().ToString("N"),
                Kind = manifest.Round == 0 ? TransferKinds.Statistics : TransferKinds.Update,
                ResultId = model.ResultId,
                Round = manifest.Round,
                Site = site.Site,
                Samples = split.Train.Count,
            };
            if (global is null)
            {
                await publisher.PublishAsync(model.UpdateTopic, WeightTransfer.Split(update with { Statistics = ScalerStatistics.Of(split.Train) }, null), cancellationToken);
                say("round 0: sent the standardisation statistics");
                continue;
            }
            var data = split;
            if (manifest.Scaler is { } scaler)
            {
                if (scaled?.Scaler != scaler) scaled = (scaler, new SampleSplit(scaler.Transform(split.Train), scaler.Transform(split.Validation), scaler.Transform(split.Test)));
                data = scaled.Value.Split;
            }
            if (manifest.Round > model.Rounds)
            {
                await EvaluateAsync(module, global, data.Test, settings, update, model.UpdateTopic, publisher, cancellationToken);
                say(data.Test.Count == 0
                    ? $"the final global weights came (after round {model.Rounds}); no test split to evaluate them on (test_rate 0): done"
                    : $"the final global weights came (after round {model.Rounds}): sent their evaluation on {data.Test.Count} test samples: done");
                return;
            }
            var outcome = await Task.Run(() => LocalRound.Run(module, global, data, settings, settings.Epochs,
                model.Aggregation == Aggregation.FedProx.ToName() ? model.Mu : null, Privacy(model), cancellationToken), cancellationToken);
            await publisher.PublishAsync(model.UpdateTopic, WeightTransfer.Split(update with
            {
                TrainMetrics = new(outcome.Train),
                ValidationMetrics = new(outcome.Validation),
            }, outcome.Weights), cancellationToken);
            say($"round {manifest.Round}: sent its update ({TrainingLog.Describe(outcome.Validation, "val_")})");
        }
    }

    /// <summary>The final weights' test metrics on the site's own test split: only the metrics and the count leave the site.</summary>
    private static async Task EvaluateAsync(
        TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> module, WeightSet global, SampleSet test, TrainingSettings settings,
        TransferManifest update, string topic, TransferPublisher publisher, CancellationToken cancellationToken)
    {
        global.LoadInto(module);
        var metrics = test.Count == 0 ? new Dictionary<string, double>()
            : new Dictionary<string, double>(Evaluator.Evaluate(module, test, settings.Loss, settings.Metrics, cancellationToken: cancellationToken).Metrics);
        var evaluation = update with { Kind = TransferKinds.Evaluation, Samples = test.Count, TestMetrics = metrics };
        await publisher.PublishAsync(topic, WeightTransfer.Split(evaluation, null), cancellationToken);
    }

    private static (double, double, Random)? Privacy(ModelAnnouncement model) =>
        model.ClipNorm is { } clip ? (clip, model.NoiseMultiplier ?? 0, new Random()) : null;

    private static TrainingSettings Settings(ModelAnnouncement model, SiteDataset dataset, SiteOptions site)
    {
        var t = model.Training;
        return new TrainingSettings
        {
            BatchSize = t.BatchSize,
            Epochs = t.Epochs,
            LearningRate = t.LearningRate,
            Optimizer = EnumNames.Parse<Optimizer>(t.Optimizer),
            Loss = EnumNames.Parse<Loss>(t.Loss),
            Metrics = t.Metrics,
            Shuffle = t.Shuffle,
            Seed = t.Seed,
            ValidationRate = t.ValidationRate ?? dataset.Control.ValidationRate,
            TestRate = dataset.Control.TestRate,
            TorchThreads = site.TorchThreads,
        };
    }

    /// <summary>The dataset's samples, read from the site's broker exactly as a training job reads its ranges, then split.</summary>
    private static async Task<SampleSplit> ReadSplitAsync(
        SiteOptions site, ModelAnnouncement model, SiteDataset dataset, ModelDefinition definition, TrainingSettings settings,
        Action<string> say, CancellationToken cancellationToken)
    {
        if (dataset.Control.IsOpenStream)
            throw new TrainingJobException($"dataset '{dataset.Key}' is an open (incremental) stream; a site worker trains on bounded ranges only.");
        var context = new TrainingJobContext
        {
            ResultId = model.ResultId,
            BootstrapServers = site.DataBootstrapServers,
            MissingDataTimeout = site.MissingDataTimeout,
            KafkaSettings = site.KafkaSettings,
            KafkaLogger = site.KafkaLogger,
        };
        var spec = new TrainingJobSpec(model.ResultId, model.DeploymentId, 0, model.ModelName, model.ModelCode, settings.BatchSize, settings.Epochs,
            settings.LearningRate, model.Training.Optimizer, model.Training.Loss, settings.Metrics, settings.Shuffle, null, null, settings.ValidationRate,
            settings.TestRate, settings.Seed);
        var run = new TrainingRun(context, spec, definition, dataset.Control, settings, NoPortal.Instance, new Progress<string>(say));
        SampleSet? samples = null;
        await foreach (var set in new RangeDataSource().ReadAsync(run, cancellationToken)) samples = set;
        return (samples ?? throw new TrainingJobException($"dataset '{dataset.Key}' yielded no samples."))
            .Split(settings.ValidationRate, settings.TestRate, settings.Seed);
    }

    /// <summary>A site reports to no portal: its metrics travel in its updates.</summary>
    private sealed class NoPortal : ITrainingReporter
    {
        public static readonly NoPortal Instance = new();

        public Task<TrainingJobSpec> GetSpecAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("A site has no portal.");

        public Task ReportStatusAsync(TrainingStatusReport report, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ReportEpochAsync(EpochReportDto report, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task ReportResultAsync(TrainingResultReport report, TrainingArtifacts artifacts, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
