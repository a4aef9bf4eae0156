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
/// A job of this mode started again trains from the labelled data again (it does not resume from its last version);
/// the unlabelled stream is read on from the offsets committed with the last version.
/// </remarks>
public sealed class SelfTrainingWindowLoop(StreamProgress progress) : ITrainingLoop
{
    public async Task<TrainingResultReport> RunAsync(
        TrainingRun run, IAsyncEnumerable<SampleSet> data, ITrainingPublisher publisher, CancellationToken cancellationToken)
    {
        var incremental = StreamDataSource.Settings(run);
        await using var sets = data.GetAsyncEnumerator(cancellationToken);
        var rounds = await SelfTrainingRounds.StartAsync(run, sets, cancellationToken);
        var versions = new IncrementalVersions(incremental, progress, 0, null);

        var (outcome, test) = await rounds.TrainAsync(rounds.Labelled.Train, run.Settings);
        rounds.Report(0, null, 0, test);
        var last = rounds.Trained(outcome, test);
        if (versions.Improves(run, outcome.TrainMetrics, outcome.ValidationMetrics)) await versions.PublishAsync(run, publisher, last, cancellationToken);

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
            last = rounds.Trained(outcome, test);
            if (versions.Improves(run, outcome.TrainMetrics, outcome.ValidationMetrics)) await versions.PublishAsync(run, publisher, last, cancellationToken);
        }

        if (!incremental.Indefinite) await versions.PublishAsync(run, publisher, last, cancellationToken);
        return last.Result;
    }
}
