using System.Globalization;
using System.Text.Json.Nodes;
using KafkaMl.Core.Jobs.Training;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Chains;

/// <summary>
/// Epochs over one sample set for an <see cref="EarlyExitChain"/>, trained jointly (<see cref="ChainObjective"/>:
/// loss = Σ wᵢ · loss(exitᵢ), every exit's metrics reported live with each epoch); then every exit tested and the exit
/// trade-off measured on the test split (<see cref="ChainResults"/>), sent as the result's <c>chain</c>. Any other model
/// is trained by <paramref name="plain"/>, exactly as without this loop.
/// </summary>
/// <remarks>
/// Split, standardisation, early stopping (on the final exit's <c>loss</c>: its plain name) and publishing are those of
/// <see cref="EpochTrainingLoop"/>: the chain's output is its final exit, so its weights and scaler are published as a
/// plain model's, with parameter names per stage (<see cref="EarlyExitChain.StatePrefix"/>).
/// </remarks>
public sealed class EarlyExitTrainingLoop(ITrainingLoop plain) : ITrainingLoop
{
    public Task<TrainingResultReport> RunAsync(TrainingRun run, IAsyncEnumerable<SampleSet> data, ITrainingPublisher publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Definition.Module is EarlyExitChain chain
            ? RunChainAsync(run, chain, data, publisher, cancellationToken)
            : plain.RunAsync(run, data, publisher, cancellationToken);
    }

    private static async Task<TrainingResultReport> RunChainAsync(
        TrainingRun run, EarlyExitChain chain, IAsyncEnumerable<SampleSet> data, ITrainingPublisher publisher, CancellationToken cancellationToken)
    {
        var samples = await OneSetAsync(data, cancellationToken);
        var settings = run.Settings;
        var split = samples.Split(settings.ValidationRate, settings.TestRate, settings.Seed);
        FeatureScaler? scaler = null;
        if (run.Context.StandardizeFeatures) (split, scaler) = split.Standardize();
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"early-exit chain of {chain.ExitCount} stages, exit weights [{string.Join(", ", chain.ExitWeights.Select(w => w.ToString("0.###", CultureInfo.InvariantCulture)))}]; "
            + $"{samples.Count} samples: {split.Train.Count} for training, {split.Validation.Count} for validation, {split.Test.Count} for testing{(scaler is null ? "" : ", standardised")}"));

        var epochs = new ReportingProgress(epoch =>
        {
            run.Say(TrainingLog.Describe(epoch));
            run.Report((reporter, ct) => reporter.ReportEpochAsync(new EpochReportDto(epoch.Epoch, epoch.Train, epoch.Validation), ct), cancellationToken);
        });
        var joint = new ChainObjective(chain, new Objective(settings.Loss, settings.Metrics));
        var outcome = await Trainer.TrainAsync(chain, split.Train, split.Validation, settings, joint, epochs, cancellationToken);
        run.Say(string.Create(CultureInfo.InvariantCulture, $"trained {outcome.EpochsRun} epochs jointly in {outcome.TrainingSeconds:0.##} s"));

        var test = Evaluator.Evaluate(chain, split.Test, settings.Loss, settings.Metrics, cancellationToken: cancellationToken);
        var report = ChainResults.Build(chain, outcome, split.Test, settings, cancellationToken);
        foreach (var exit in report.Exits) run.Say($"exit {exit.Exit} test {TrainingLog.Describe(exit.TestMetrics, "")}");
        if (report.SuggestedThreshold is { } suggested)
            run.Say(string.Create(CultureInfo.InvariantCulture, $"suggested threshold {suggested:0.##} (accuracy within {report.Tolerance:0.##} of the final exit's)"));

        var result = new TrainingResultReport(
            outcome.TrainMetrics,
            outcome.ValidationMetrics,
            test.Metrics,
            test.ConfusionMatrix,
            outcome.TrainingSeconds,
            scaler is null ? null : JsonNode.Parse(scaler.ToJson())!.AsObject(),
            report);
        await publisher.PublishAsync(run, new TrainedModel(result, scaler, samples.FeatureShape), cancellationToken);
        return result;
    }

    /// <summary>The one set a bounded source yields.</summary>
    private static async Task<SampleSet> OneSetAsync(IAsyncEnumerable<SampleSet> data, CancellationToken cancellationToken)
    {
        var sets = new List<SampleSet>(1);
        await foreach (var set in data.WithCancellation(cancellationToken)) sets.Add(set);
        return sets.Count switch
        {
            1 => sets[0],
            0 => throw new TrainingJobException("The data source yielded no samples to train on."),
            _ => throw new InvalidOperationException("An early-exit chain trains on one bounded sample set; this source yields several."),
        };
    }

    /// <summary>Reports on the training thread, in order (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class ReportingProgress(Action<EpochReport> report) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => report(value);
    }
}

/// <summary>Which training modes an early-exit chain can be trained in.</summary>
public static class ChainTraining
{
    /// <summary>
    /// Refuses a chain for an incremental or semi-supervised deployment (joint training and the exit trade-off are
    /// measured over one bounded set); anything else passes.
    /// </summary>
    /// <exception cref="TrainingJobException">The model is a chain and the deployment is not a bounded supervised one.</exception>
    public static void CheckDeployment(TrainingJobSpec spec, Scripting.ModelDefinition? definition)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (definition?.Module is not EarlyExitChain) return;
        var kind = spec.Incremental is not null ? "incremental" : spec.SemiSupervised is not null ? "semi-supervised" : null;
        if (kind is not null)
            throw new TrainingJobException(string.Create(CultureInfo.InvariantCulture,
                $"The model '{spec.ModelName}' is an early-exit chain, which trains jointly on one bounded stream, but deployment {spec.DeploymentId} is {kind}. Deploy it as a bounded, supervised training."));
    }
}
