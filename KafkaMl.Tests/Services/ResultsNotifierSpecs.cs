using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Services;

public sealed class ResultsNotifierSpecs
{
    private readonly ResultsNotifier notifier = new(NullLogger<ResultsNotifier>.Instance);
    private readonly List<ResultChange> heard = [];

    private Func<ResultChange, Task> Record => change =>
    {
        lock (heard) heard.Add(change);
        return Task.CompletedTask;
    };

    [Fact]
    public async Task A_subscriber_to_one_result_hears_its_status_changes_and_epochs_only()
    {
        using var subscription = notifier.Subscribe(7, Record);

        await notifier.NotifyStatusAsync(7, 1, TrainingStatus.Training);
        await notifier.NotifyEpochAsync(7, 1, TrainingStatus.Training, epoch: 3);
        await notifier.NotifyStatusAsync(8, 1, TrainingStatus.Training);

        Assert.Equal(
            [new ResultChange(7, 1, ResultChangeKind.Status, TrainingStatus.Training), new ResultChange(7, 1, ResultChangeKind.Epoch, TrainingStatus.Training, 3)],
            heard);
    }

    [Fact]
    public async Task A_subscriber_to_all_hears_every_result()
    {
        using var subscription = notifier.SubscribeAll(Record);

        await notifier.NotifyStatusAsync(1, 1, TrainingStatus.Deployed);
        await notifier.NotifyStatusAsync(2, 1, TrainingStatus.Deployed);

        Assert.Equal([1, 2], heard.Select(c => c.ResultId));
    }

    [Fact]
    public async Task A_disposed_subscription_hears_nothing_more()
    {
        var subscription = notifier.Subscribe(7, Record);
        await notifier.NotifyStatusAsync(7, 1, TrainingStatus.Training);

        subscription.Dispose();
        await notifier.NotifyStatusAsync(7, 1, TrainingStatus.Finished);

        Assert.Single(heard);
    }

    [Fact]
    public async Task A_failing_subscriber_does_not_keep_the_others_from_hearing()
    {
        using var failing = notifier.Subscribe(7, _ => throw new ObjectDisposedException("circuit"));
        using var working = notifier.Subscribe(7, Record);

        await notifier.NotifyEpochAsync(7, 1, TrainingStatus.Training, epoch: 1);

        Assert.Single(heard);
    }
}
