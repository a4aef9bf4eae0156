using System.Globalization;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Self-training over an incremental semi-supervised run's data (<see cref="SemiSupervisedStreamSource"/>: the
/// labelled set, then the unlabelled stream in windows): round 0 trains on the labelled training split as
/// <see cref="SelfTrainingLoop"/> does; then each window, as it arrives, is one pseudo-labelling step: its samples
/// predicted with at least the confidence are labelled, and training continues on the labelled training split plus
/// that window's pseudo-labels for <see cref="Domain.IncrementalSettings.EpochsPerWindow"/> epochs. Every step is
/// tested on the labelled test split and reported as the round of its window. Models become versions by the
/// incremental rule (<see cref="IncrementalVersions"/>: round 0 is the first model), and the stream's offsets are
/// committed after a version. A version's samples seen counts the unlabelled samples read so far.
/// </summary>
/// <remarks>
/// A job of this mode started again (after a kill) resumes from the last version as an incremental run does
/// (<see cref="IncrementalResume"/>): that version's weights, reference metric and numbering, and the unlabelled
/// stream read on from the position published with it. Round 0 is not trained again; the labelled data is read again,
/// since every window trains on it.
/// </remarks>
public sealed class SelfTrainingWindowLoop(StreamProgress progress) : ITrainingLoop
{
    /// <summary>The train metric of a model (and so of its version) naming the last window it was trained on (0: the labelled data only).</summary>
    public const string WindowMetric = "window";

    public async Task<TrainingResultReport> RunAsync(
        TrainingRun run, IAsyncEnumerable<SampleSet> data, ITrainingPublisher publisher, CancellationToken cancellationToken)
    {
        var incremental = StreamDataSource.Settings(run);
        await using var sets = data.GetAsyncEnumerator(cancellationToken);
        var rounds = await SelfTrainingRounds.StartAsync(run, sets, cancellationToken);
        // Before the unlabelled stream is opened (the next set): a resumed run reads on from its version's position.
        var resume = await IncrementalResume.LoadAsync(run, progress, incremental, cancellationToken);
        var versions = new IncrementalVersions(incremental, progress, resume.Version, resume.Reference);

        TrainingOutcome outcome;
        Evaluation test;
        TrainedModel last;
        if (resume.From is { } from)
        {
            // The portal dates a version by the epochs reported before it (here epochs run on across rounds); the
            // window it was trained to travels in its train metrics.
            progress.Windows = from.TrainMetrics.TryGetValue(WindowMetric, out var trainedTo) ? (int)trainedTo : 0;
            rounds.ContinueEpochsAfter(from.Window);
            test = rounds.Test();
            run.Say(string.Create(CultureInfo.InvariantCulture,
                $"round 0 is not trained again: the model is version {resume.Version}, trained to window {progress.Windows}; test {TrainingLog.Describe(test.Metrics, "")}"));
            last = AtWindow(rounds.Trained(TrainingOutcome.None, test), progress.Windows);
        }
        else
        {
            (outcome, test) = await rounds.TrainAsync(rounds.Labelled.Train, run.Settings);
            rounds.Report(0, null, 0, test);
            last = AtWindow(rounds.Trained(outcome, test), 0);
            if (versions.Improves(run, outcome.TrainMetrics, outcome.ValidationMetrics)) await versions.PublishAsync(run, publisher, last, cancellationToken);
        }

        var settings = run.Settings with { Epochs = incremental.EpochsPerWindow, EarlyStopping = null };
        while (await sets.MoveNextAsync())
        {
            var number = progress.Windows;
            var window = rounds.Prepare(sets.Current);
            var labels = await rounds.LabelAsync(window);
            if (labels.Added is null)
            {
                run.Say(string.Create(CultureInfo.InvariantCulture, $"window {number}: none of its {window.Count} samples is predicted with enough confidence; nothing to train on"));
                rounds.Report(number, labels, window.Count, test, number);
                continue;
            }
            (outcome, test) = await rounds.TrainAsync(SampleSet.Concat([rounds.Labelled.Train, labels.Added]), settings with { Seed = settings.Seed + number });
            rounds.Report(number, labels, labels.Left?.Count ?? 0, test, number);
            last = AtWindow(rounds.Trained(outcome, test), number);
            if (versions.Improves(run, outcome.TrainMetrics, outcome.ValidationMetrics)) await versions.PublishAsync(run, publisher, last, cancellationToken);
        }

        if (!incremental.Indefinite) await versions.PublishAsync(run, publisher, last, cancellationToken);
        return last.Result;
    }

    private static TrainedModel AtWindow(TrainedModel trained, int window) => trained with
    {
        Result = trained.Result with { TrainMetrics = new Dictionary<string, double>(trained.Result.TrainMetrics) { [WindowMetric] = window } },
    };
}
