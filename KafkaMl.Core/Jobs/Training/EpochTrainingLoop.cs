using System.Globalization;
using System.Text.Json.Nodes;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Epochs over one sample set: shuffle (seeded), split and standardise; train, reporting every epoch; test on the
/// test split; publish once.
/// </summary>
/// <remarks>
/// <b>Standardisation</b> is on by default (<see cref="TrainingJobContext.StandardizeFeatures"/>): fitted on the
/// training split only, sent as the result's <c>scaler</c> and stored in the safetensors metadata
/// (<see cref="TrainingJob.ScalerMetadataKey"/>), so inference applies the same transform.
/// </remarks>
public sealed class EpochTrainingLoop : ITrainingLoop
{
    public async Task<TrainingResultReport> RunAsync(
        TrainingRun run, IAsyncEnumerable<SampleSet> data, ITrainingPublisher publisher, CancellationToken cancellationToken)
    {
        var samples = await SingleSetAsync(data, cancellationToken);
        var settings = run.Settings;
        var split = samples.Split(settings.ValidationRate, settings.TestRate, settings.Seed);
        FeatureScaler? scaler = null;
        if (run.Context.StandardizeFeatures) (split, scaler) = split.Standardize();
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"{samples.Count} samples of shape {SampleSet.Describe(samples.FeatureShape)}: {split.Train.Count} for training, {split.Validation.Count} for validation, {split.Test.Count} for testing{(scaler is null ? "" : "; features standardised with the training split's mean and deviation")}"));

        var model = run.Definition.Module;
        var progress = new SynchronousProgress<EpochReport>(epoch =>
        {
            run.Say(TrainingLog.Describe(epoch));
            run.Report((reporter, ct) => reporter.ReportEpochAsync(new EpochReportDto(epoch.Epoch, epoch.Train, epoch.Validation), ct), cancellationToken);
        });
        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation, settings, progress, cancellationToken);
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"trained {outcome.EpochsRun} epochs in {outcome.TrainingSeconds:0.##} s{(outcome.StoppedEarly ? $" (stopped early; weights of epoch {outcome.BestEpoch})" : "")}"));

        var test = Evaluator.Evaluate(model, split.Test, settings.Loss, settings.Metrics, cancellationToken: cancellationToken);
        run.Say(test.Metrics.Count == 0 ? "no test samples (test rate 0): no test metrics" : "test " + TrainingLog.Describe(test.Metrics, ""));

        var result = new TrainingResultReport(
            outcome.TrainMetrics,
            outcome.ValidationMetrics,
            test.Metrics,
            test.ConfusionMatrix,
            outcome.TrainingSeconds,
            scaler is null ? null : JsonNode.Parse(scaler.ToJson())!.AsObject());
        await publisher.PublishAsync(run, new TrainedModel(result, scaler, samples.FeatureShape), cancellationToken);
        return result;
    }

    /// <summary>The one set a bounded source yields.</summary>
    private static async Task<SampleSet> SingleSetAsync(IAsyncEnumerable<SampleSet> data, CancellationToken cancellationToken)
    {
        SampleSet? single = null;
        await foreach (var set in data.WithCancellation(cancellationToken))
        {
            if (single is not null) throw new InvalidOperationException("Epoch training takes one bounded sample set; this source yields several.");
            single = set;
        }
        return single ?? throw new TrainingJobException("The data source yielded no samples to train on.");
    }

    /// <summary>Calls back on the reporting thread, in order (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
