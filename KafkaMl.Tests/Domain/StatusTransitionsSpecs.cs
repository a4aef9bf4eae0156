using KafkaMl.Web.Jobs;

namespace KafkaMl.Tests.Domain;

/// <summary>The transition tables of the workload statuses, which every conditional status update obeys.</summary>
public sealed class StatusTransitionsSpecs : HarnessSpecBase
{
    [Fact]
    public void Finished_failed_and_stopped_results_are_final_and_deployed_and_training_ones_active()
    {
        Assert.Equal([TrainingStatus.Finished, TrainingStatus.Failed, TrainingStatus.Stopped], Enum.GetValues<TrainingStatus>().Where(s => s.IsFinal()));
        Assert.Equal([TrainingStatus.Created, TrainingStatus.Deployed, TrainingStatus.Training], TrainingStatusExtensions.Transitions.NotFinal);
        Assert.Equal([TrainingStatus.Deployed, TrainingStatus.Training], Enum.GetValues<TrainingStatus>().Where(s => s.IsActive()));
        Assert.False(TrainingStatusExtensions.Transitions.CanMove(TrainingStatus.Deployed, TrainingStatus.Created));
    }

    [Fact]
    public void Stopped_and_failed_inferences_are_final_and_only_a_created_one_becomes_deployed()
    {
        Assert.Equal([InferenceStatus.Stopped, InferenceStatus.Failed], Enum.GetValues<InferenceStatus>().Where(s => s.IsFinal()));
        Assert.Equal([InferenceStatus.Deployed, InferenceStatus.Running], Enum.GetValues<InferenceStatus>().Where(s => s.IsActive()));
        Assert.Equal([InferenceStatus.Created], InferenceStatusExtensions.Transitions.Sources(InferenceStatus.Deployed));
        Assert.False(InferenceStatusExtensions.Transitions.CanMove(InferenceStatus.Running, InferenceStatus.Deployed));
    }

    [Fact]
    public async Task A_move_the_table_allows_changes_the_row_once_and_a_final_status_stays()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        await using var db = Harness.CreateContext();

        Assert.True(await db.TrainingResults.TryMoveAsync(resultId, TrainingStatus.Stopped, null, CancellationToken.None));
        Assert.False(await db.TrainingResults.TryMoveAsync(resultId, TrainingStatus.Failed, null, CancellationToken.None));
        Assert.Equal(TrainingStatus.Stopped, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task A_guard_wider_than_the_table_is_refused_before_anything_is_written()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Finished);
        await using var db = Harness.CreateContext();

        await Assert.ThrowsAsync<ArgumentException>(() =>
            db.TrainingResults.TryMoveAsync(resultId, [TrainingStatus.Finished], TrainingStatus.Failed, null, CancellationToken.None));
        Assert.Equal(TrainingStatus.Finished, (await Harness.ReadResultAsync(resultId)).Status);
    }
}
