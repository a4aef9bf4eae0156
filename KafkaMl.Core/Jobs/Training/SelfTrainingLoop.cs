using System.Globalization;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>
/// Self-training over a bounded semi-supervised run's data (<see cref="SemiSupervisedDataSource"/>: the labelled set,
/// then the unlabelled pool): round 0 trains on the labelled training split (split and standardised as a bounded
/// run's); then, up to <see cref="Domain.SemiSupervisedSettings.UnsupervisedRounds"/> times, the pool is predicted in
/// batches, the samples whose top class probability reaches <see cref="Domain.SemiSupervisedSettings.Confidence"/> leave
/// the pool with that class as their label, and training continues on the labelled training split plus every
/// pseudo-label so far. It stops early when a round adds nothing or the pool is empty. Every round is tested on the
/// labelled test split and reported; the result (published once) carries the last round's metrics.
/// </summary>
public sealed class SelfTrainingLoop : ITrainingLoop
{
    public async Task<TrainingResultReport> RunAsync(
        TrainingRun run, IAsyncEnumerable<SampleSet> data, ITrainingPublisher publisher, CancellationToken cancellationToken)
    {
        var semi = SemiSupervisedDataSource.Settings(run);
        await using var sets = data.GetAsyncEnumerator(cancellationToken);
        var rounds = await SelfTrainingRounds.StartAsync(run, sets, cancellationToken);
        var pool = await sets.MoveNextAsync() ? rounds.Prepare(sets.Current) : null;

        var train = rounds.Labelled.Train;
        var (outcome, test) = await rounds.TrainAsync(train, run.Settings);
        rounds.Report(0, null, pool?.Count ?? 0, test);
        for (var round = 1; round <= semi.UnsupervisedRounds; round++)
        {
            if (pool is null)
            {
                run.Say(string.Create(CultureInfo.InvariantCulture, $"the unlabelled pool is empty: self-training ends after round {round - 1}"));
                break;
            }
            var labels = await rounds.LabelAsync(pool);
            if (labels.Added is null)
            {
                run.Say(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: none of the {pool.Count} unlabelled samples is predicted with a confidence of at least {semi.Confidence}: self-training ends after round {round - 1}"));
                break;
            }
            train = SampleSet.Concat([train, labels.Added]);
            pool = labels.Left;
            (outcome, test) = await rounds.TrainAsync(train, run.Settings with { Seed = run.Settings.Seed + round });
            rounds.Report(round, labels, pool?.Count ?? 0, test);
        }

        var trained = rounds.Trained(outcome, test);
        await publisher.PublishAsync(run, trained, cancellationToken);
        return trained.Result;
    }
}
