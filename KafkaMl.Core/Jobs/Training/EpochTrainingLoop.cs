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
        var (split, scaler) = Prepare(run, samples);

        var model = run.Definition.Module;
        var outcome = await Trainer.TrainAsync(model, split.Train, split.Validation, settings, EpochReports(run, 0, cancellationToken), cancellationToken);
        run.Say(Describe(outcome));

        var test = Test(run, split.Test, cancellationToken);
        var result = Result(outcome, test, outcome.TrainingSeconds, scaler);
        await publisher.PublishAsync(run, new TrainedModel(result, scaler, samples.FeatureShape), cancellationToken);
        return result;
    }

    /// <summary>
    /// The samples shuffled (seeded) and split by the run's rates and, unless turned off, standardised with a scaler
    /// fitted on the training split; logged.
    /// </summary>
    internal static (SampleSplit Split, FeatureScaler? Scaler) Prepare(TrainingRun run, SampleSet samples)
    {
        var settings = run.Settings;
        var split = samples.Split(settings.ValidationRate, settings.TestRate, settings.Seed);
        FeatureScaler? scaler = null;
        if (run.Context.StandardizeFeatures) (split, scaler) = split.Standardize();
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"{samples.Count} samples of shape {SampleSet.Describe(samples.FeatureShape)}: {split.Train.Count} for training, {split.Validation.Count} for validation, {split.Test.Count} for testing{(scaler is null ? "" : "; features standardised with the training split's mean and deviation")}"));
        return (split, scaler);
    }

    /// <summary>
    /// Logs and reports every epoch (the result's live charts), numbered after the <paramref name="before"/> epochs a
    /// run trained before this training (a run that trains several times keeps one epoch count).
    /// </summary>
    internal static IProgress<EpochReport> EpochReports(TrainingRun run, int before, CancellationToken cancellationToken) =>
        new SynchronousProgress<EpochReport>(trained =>
        {
            var epoch = trained with { Epoch = before + trained.Epoch, Epochs = before + trained.Epochs };
            run.Say(TrainingLog.Describe(epoch));
            run.Report((reporter, ct) => reporter.ReportEpochAsync(new EpochReportDto(epoch.Epoch, epoch.Train, epoch.Validation), ct), cancellationToken);
        });

    /// <summary><c>trained 50 epochs in 1.2 s</c>, and whether early stopping ended it.</summary>
    internal static string Describe(TrainingOutcome outcome) => string.Create(CultureInfo.InvariantCulture,
        $"trained {outcome.EpochsRun} epochs in {outcome.TrainingSeconds:0.##} s{(outcome.StoppedEarly ? $" (stopped early; weights of epoch {outcome.BestEpoch})" : "")}");

    /// <summary>The model's metrics on the test split, logged.</summary>
    internal static Evaluation Test(TrainingRun run, SampleSet test, CancellationToken cancellationToken)
    {
        var settings = run.Settings;
        var evaluation = Evaluator.Evaluate(run.Definition.Module, test, settings.Loss, settings.Metrics, cancellationToken: cancellationToken);
        run.Say(evaluation.Metrics.Count == 0 ? "no test samples (test rate 0): no test metrics" : "test " + TrainingLog.Describe(evaluation.Metrics, ""));
        return evaluation;
    }

    /// <summary>The result of a training whose last step was <paramref name="outcome"/>, tested as <paramref name="test"/>.</summary>
    internal static TrainingResultReport Result(TrainingOutcome outcome, Evaluation test, double seconds, FeatureScaler? scaler) => new(
        outcome.TrainMetrics,
        outcome.ValidationMetrics,
        test.Metrics,
        test.ConfusionMatrix,
        seconds,
        scaler is null ? null : JsonNode.Parse(scaler.ToJson())!.AsObject());

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
