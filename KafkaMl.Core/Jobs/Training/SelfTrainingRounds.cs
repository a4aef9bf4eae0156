using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// What the self-training loops (<see cref="SelfTrainingLoop"/>, <see cref="SelfTrainingWindowLoop"/>) share: the
/// labelled data split as a bounded run splits it, a round trained on the labelled training split plus pseudo-labels
/// (validated and tested on labelled data only, so the metrics stay honest; epochs numbered on across rounds for the
/// live charts), the unlabelled samples labelled in batches (<see cref="PseudoLabeller"/>), and each round logged and
/// reported (<see cref="ISelfTrainingReporter"/>, when the reporter records rounds).
/// </summary>
internal sealed class SelfTrainingRounds
{
    private readonly TrainingRun _run;
    private readonly SemiSupervisedSettings _semi;
    private readonly CancellationToken _cancellationToken;
    private int _epochs;

    private SelfTrainingRounds(TrainingRun run, SampleSet labelled, CancellationToken cancellationToken)
    {
        (_run, _semi, _cancellationToken) = (run, SemiSupervisedDataSource.Settings(run), cancellationToken);
        (Labelled, Scaler) = EpochTrainingLoop.Prepare(run, labelled);
        FeatureShape = labelled.FeatureShape;
    }

    /// <summary>The labelled data: training, validation and test splits (standardised when <see cref="Scaler"/> is set).</summary>
    public SampleSplit Labelled { get; }

    /// <summary>Fitted on the labelled training split; applied to every unlabelled sample too.</summary>
    public FeatureScaler? Scaler { get; }

    /// <summary>The shape of one input sample.</summary>
    public IReadOnlyList<int> FeatureShape { get; }

    /// <summary>Wall time of every round's training so far.</summary>
    public double Seconds { get; private set; }

    /// <summary>
    /// The rounds of the first set the source yields, the labelled one. A loss that gives no class probabilities (a
    /// regression) is refused before any data is read; labels self-training cannot imitate, once they are.
    /// </summary>
    public static async Task<SelfTrainingRounds> StartAsync(TrainingRun run, IAsyncEnumerator<SampleSet> sets, CancellationToken cancellationToken)
    {
        if (PseudoLabeller.Problem(run.Settings.Loss, labelSize: 1) is { } regression) throw new TrainingJobException(regression);
        if (!await sets.MoveNextAsync()) throw new TrainingJobException("The data source yielded no labelled samples to train on.");
        var labelled = sets.Current;
        if (PseudoLabeller.Problem(run.Settings.Loss, labelled.LabelSize) is { } problem) throw new TrainingJobException(problem);
        var semi = SemiSupervisedDataSource.Settings(run);
        run.Say(string.Create(CultureInfo.InvariantCulture,
            $"semi-supervised training: the labelled data first (round 0), then up to {semi.UnsupervisedRounds} rounds adding the unlabelled samples predicted with a confidence of at least {semi.Confidence} as labels; validation and test on labelled data only"));
        return new SelfTrainingRounds(run, labelled, cancellationToken);
    }

    /// <summary>Unlabelled samples as the model takes them (standardised like the labelled ones).</summary>
    public SampleSet Prepare(SampleSet unlabelled) => Scaler?.Transform(unlabelled) ?? unlabelled;

    /// <summary>Trains on <paramref name="train"/> (validating on the labelled validation split), then tests on the labelled test split.</summary>
    public async Task<(TrainingOutcome Outcome, Evaluation Test)> TrainAsync(SampleSet train, TrainingSettings settings)
    {
        var outcome = await Trainer.TrainAsync(_run.Definition.Module, train, Labelled.Validation, settings,
            EpochTrainingLoop.EpochReports(_run, _epochs, _cancellationToken), _cancellationToken);
        _epochs += outcome.EpochsRun;
        Seconds += outcome.TrainingSeconds;
        _run.Say(EpochTrainingLoop.Describe(outcome) + string.Create(CultureInfo.InvariantCulture, $" on {train.Count} samples"));
        return (outcome, Test());
    }

    /// <summary>Numbers the next epochs after <paramref name="epochs"/> (a resumed run's, after those its version was trained in).</summary>
    public void ContinueEpochsAfter(int epochs) => _epochs = epochs;

    /// <summary>The model as it is, tested on the labelled test split (a resumed run's model, trained before it started).</summary>
    public Evaluation Test() => EpochTrainingLoop.Test(_run, Labelled.Test, _cancellationToken);

    /// <summary>The samples of <paramref name="unlabelled"/> the model now predicts confidently enough, labelled.</summary>
    public Task<PseudoLabels> LabelAsync(SampleSet unlabelled) => Task.Run(() => PseudoLabeller.Label(
        _run.Definition.Module, unlabelled, _run.Settings.Loss, _semi.Confidence, Labelled.Train.LabelShape,
        Math.Max(_run.Settings.BatchSize, Evaluator.DefaultBatchSize), _cancellationToken), _cancellationToken);

    /// <summary>The trained model of the last round, as the run publishes it.</summary>
    public TrainedModel Trained(TrainingOutcome outcome, Evaluation test) =>
        new(EpochTrainingLoop.Result(outcome, test, Seconds, Scaler), Scaler, FeatureShape);

    /// <summary>Logs round <paramref name="round"/> and reports it when the reporter records rounds.</summary>
    public void Report(int round, PseudoLabels? labels, long poolLeft, Evaluation test, int? window = null)
    {
        var counts = (labels?.ClassCounts ?? new Dictionary<int, int>())
            .ToDictionary(c => c.Key.ToString(CultureInfo.InvariantCulture), c => c.Value);
        var report = new SelfTrainingRoundReport(round, labels?.Added?.Count ?? 0, counts, _semi.Confidence, test.Metrics, poolLeft, window);
        _run.Say(Describe(report));
        if (_run.Reporter is ISelfTrainingReporter)
            _run.Report((reporter, ct) => ((ISelfTrainingReporter)reporter).ReportSelfTrainingRoundAsync(report, ct), _cancellationToken);
    }

    /// <summary><c>round 2 (window 3): 412 pseudo-labels (class 0: 200, class 1: 212), 3000 unlabelled left; test loss 0.2 accuracy 0.9</c>.</summary>
    private static string Describe(SelfTrainingRoundReport report)
    {
        var round = report.Window is { } window
            ? string.Create(CultureInfo.InvariantCulture, $"round {report.Round} (window {window})")
            : string.Create(CultureInfo.InvariantCulture, $"round {report.Round}");
        var added = report.Round == 0
            ? "the labelled data only"
            : string.Create(CultureInfo.InvariantCulture,
                $"{report.Added} pseudo-labels with confidence >= {report.Confidence} ({(report.ClassCounts.Count == 0 ? "none" : string.Join(", ", report.ClassCounts.Select(c => $"class {c.Key}: {c.Value}")))})");
        var test = report.TestMetrics.Count == 0 ? "no test metrics" : "test " + TrainingLog.Describe(report.TestMetrics, "");
        return string.Create(CultureInfo.InvariantCulture, $"{round}: {added}, {report.PoolLeft} unlabelled left; {test}");
    }
}
