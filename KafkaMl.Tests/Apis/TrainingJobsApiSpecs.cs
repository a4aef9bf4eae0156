using KafkaMl.Tests.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Apis;

/// <summary>The reports of training jobs, handler by handler (tokens and routes: <see cref="OrchestrationPortalSpecs"/>).</summary>
public sealed class TrainingJobsApiSpecs : HarnessSpecBase
{
    private async Task<IResult> ReportStatusAsync(int resultId, TrainingStatusReport report)
    {
        await using var db = Harness.CreateContext();
        return (await TrainingJobsApi.ReportStatus(resultId, report, db, Harness.Notifier, Ct)).Result;
    }

    private async Task<IResult> ReportEpochAsync(int resultId, EpochReportDto report)
    {
        await using var db = Harness.CreateContext();
        return (await TrainingJobsApi.ReportEpoch(resultId, report, db, Harness.Notifier, Ct)).Result;
    }

    private async Task<IResult> UploadAsync(int resultId, IFormCollection form)
    {
        await using var db = Harness.CreateContext();
        return (await TrainingJobsApi.UploadResult(resultId, form, db, Harness.Orchestrator, Harness.Notifier, Ct)).Result;
    }

    [Fact]
    public async Task The_spec_carries_the_models_code_as_deployed_and_the_deployments_settings_and_seed()
    {
        var model = await Harness.Database.SeedModelAsync();
        var configuration = await Harness.Database.SeedConfigurationAsync(model.Id);
        var deployment = await Harness.DeployAsync(configuration.Id);
        var resultId = deployment.Results.Single().Id;
        await using (var edit = Harness.CreateContext())
        {
            // Edited after the deployment: the job still trains what was deployed.
            await edit.Models.Where(m => m.Id == model.Id).ExecuteUpdateAsync(s => s.SetProperty(m => m.Code, "Linear(3, 2)"));
        }
        await using var db = Harness.CreateContext();

        var result = await TrainingJobsApi.GetSpec(resultId, db, Ct);

        var spec = Assert.IsType<Ok<TrainingJobSpec>>(result.Result).Value!;
        Assert.Equal((resultId, deployment.Id, model.Id, model.Name, model.Code), (spec.ResultId, spec.DeploymentId, spec.ModelId, spec.ModelName, spec.ModelCode));
        Assert.Equal((10, 5, 0.01, "adam", "cross_entropy", true, 42), (spec.BatchSize, spec.Epochs, spec.LearningRate, spec.Optimizer, spec.Loss, spec.Shuffle, spec.Seed));
        Assert.Equal(["accuracy"], spec.Metrics);
    }

    [Fact]
    public async Task The_spec_of_an_unknown_result_answers_404()
    {
        await using var db = Harness.CreateContext();

        var result = await TrainingJobsApi.GetSpec(999, db, Ct);

        Assert.IsType<NotFound<ProblemDetails>>(result.Result);
    }

    [Fact]
    public async Task Reporting_training_moves_the_result_to_training_and_keeps_the_stream_it_found()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Deployed);

        var result = await ReportStatusAsync(resultId, new TrainingStatusReport("training", Data: AHcopdDataReport()));

        Assert.IsType<NoContent>(result);
        var stored = await Harness.ReadResultAsync(resultId);
        Assert.Equal(TrainingStatus.Training, stored.Status);
        Assert.Equal(("hcopd:0:0:120,hcopd:1:0:119", "AVRO"), (stored.DataTopic, stored.InputFormat));
        Assert.Equal("{}", JsonNode.Parse(stored.InputConfig!)!["data_scheme"]!.GetValue<string>());
    }

    [Fact]
    public async Task Reporting_failed_records_the_jobs_reason()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        await ReportStatusAsync(resultId, new TrainingStatusReport("failed", "samples of shape [4] do not fit the model's input [3]"));

        var stored = await Harness.ReadResultAsync(resultId);
        Assert.Equal(TrainingStatus.Failed, stored.Status);
        Assert.Equal("samples of shape [4] do not fit the model's input [3]", stored.Error);
    }

    [Fact]
    public async Task Reporting_the_same_status_again_keeps_when_it_changed()
    {
        var since = DateTimeOffset.UtcNow.AddMinutes(-5);
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Deployed, statusChanged: since);

        var result = await ReportStatusAsync(resultId, new TrainingStatusReport("DEPLOYED"));

        Assert.IsType<NoContent>(result);
        var stored = await Harness.ReadResultAsync(resultId);
        Assert.Equal(TrainingStatus.Deployed, stored.Status);
        Assert.Equal(since.UtcTicks / TimeSpan.TicksPerMillisecond, stored.StatusChanged.UtcTicks / TimeSpan.TicksPerMillisecond);
    }

    [Theory]
    [InlineData("finished")]
    [InlineData("stopped")]
    [InlineData("created")]
    [InlineData("running")]
    public async Task A_job_may_only_report_deployed_training_or_failed(string status)
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        var result = await ReportStatusAsync(resultId, new TrainingStatusReport(status));

        ApiAssert.ValidationProblem(result, "status");
        Assert.Equal(TrainingStatus.Training, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Theory]
    [InlineData(TrainingStatus.Finished)]
    [InlineData(TrainingStatus.Failed)]
    [InlineData(TrainingStatus.Stopped)]
    public async Task A_final_result_refuses_status_reports_with_409_and_does_not_change(TrainingStatus final)
    {
        var resultId = await Harness.SeedResultAsync(final);

        var result = await ReportStatusAsync(resultId, new TrainingStatusReport("training"));

        var conflict = Assert.IsType<Conflict<ProblemDetails>>(result);
        Assert.Equal(final.ToName(), conflict.Value!.Extensions["status"]);
        Assert.Equal(final, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task A_stopped_result_refuses_epochs_with_409_so_the_job_exits()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Stopped);

        var result = await ReportEpochAsync(resultId, AnEpoch(1));

        Assert.IsType<Conflict<ProblemDetails>>(result);
        await using var db = Harness.CreateContext();
        Assert.False(await db.EpochMetrics.AnyAsync());
    }

    [Fact]
    public async Task Each_epoch_is_stored_with_its_train_and_validation_metrics()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        await ReportEpochAsync(resultId, AnEpoch(1, loss: 0.7));
        await ReportEpochAsync(resultId, AnEpoch(2, loss: 0.5));

        await using var db = Harness.CreateContext();
        var epochs = await db.EpochMetrics.Where(e => e.ResultId == resultId).OrderBy(e => e.Epoch).ToListAsync();
        Assert.Equal([1, 2], epochs.Select(e => e.Epoch));
        Assert.Equal([0.7, 0.5], epochs.Select(e => e.TrainMetrics["loss"]));
        Assert.Equal(0.8, epochs[0].ValMetrics["loss"], 10);
    }

    [Fact]
    public async Task A_retried_epoch_report_replaces_the_earlier_one_instead_of_duplicating_it()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        await ReportEpochAsync(resultId, AnEpoch(1, loss: 0.9));
        var again = await ReportEpochAsync(resultId, AnEpoch(1, loss: 0.8));

        Assert.IsType<NoContent>(again);
        await using var db = Harness.CreateContext();
        var epoch = await db.EpochMetrics.SingleAsync(e => e.ResultId == resultId);
        Assert.Equal(0.8, epoch.TrainMetrics["loss"]);
    }

    [Fact]
    public async Task An_epoch_of_a_result_still_deployed_moves_it_to_training()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Deployed);

        await ReportEpochAsync(resultId, AnEpoch(1));

        Assert.Equal(TrainingStatus.Training, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task Epoch_zero_answers_400_on_epoch()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        ApiAssert.ValidationProblem(await ReportEpochAsync(resultId, AnEpoch(0)), "epoch");
    }

    [Fact]
    public async Task Uploading_the_result_stores_the_files_and_finishes_the_result_with_its_metrics()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        var result = await UploadAsync(resultId, AResultForm());

        Assert.IsType<NoContent>(result);
        var directory = Path.Combine(Harness.DataDir, "results", resultId.ToString());
        Assert.Equal(WeightBytes, await File.ReadAllBytesAsync(Path.Combine(directory, "model.dat")));
        Assert.Equal(SafetensorsBytes, await File.ReadAllBytesAsync(Path.Combine(directory, "model.safetensors")));
        var report = JsonSerializer.Deserialize<TrainingResultReport>(await File.ReadAllTextAsync(Path.Combine(directory, "report.json")), JsonSerializerOptions.Web)!;
        Assert.Equal(0.83, report.TestMetrics["accuracy"]);

        var stored = await Harness.ReadResultAsync(resultId);
        Assert.Equal(TrainingStatus.Finished, stored.Status);
        Assert.Equal((0.86, 0.84, 0.83), (stored.TrainMetrics["accuracy"], stored.ValMetrics["accuracy"], stored.TestMetrics["accuracy"]));
        Assert.Equal([[10, 2], [3, 9]], stored.ConfusionMatrix);
        Assert.Equal(12.5, stored.TrainingSeconds);
        Assert.Equal($"results/{resultId}/model.dat", stored.WeightsPath);
        Assert.Equal("standard", JsonNode.Parse(stored.Scaler!)!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_retried_upload_of_a_finished_result_is_accepted_and_changes_nothing()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        await UploadAsync(resultId, AResultForm());

        var again = await UploadAsync(resultId, AResultForm(weights: [1, 2, 3]));

        Assert.IsType<NoContent>(again);
        Assert.Equal(WeightBytes, await File.ReadAllBytesAsync(Path.Combine(Harness.Orchestrator.ResultDirectory(resultId), "model.dat")));
    }

    [Fact]
    public async Task Uploading_to_a_stopped_result_answers_409_and_stores_nothing()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Stopped);

        var result = await UploadAsync(resultId, AResultForm());

        Assert.IsType<Conflict<ProblemDetails>>(result);
        Assert.False(Directory.Exists(Harness.Orchestrator.ResultDirectory(resultId)));
        Assert.Equal(TrainingStatus.Stopped, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task Uploading_without_weights_answers_400_on_weights_and_leaves_the_result_training()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        var result = await UploadAsync(resultId, AResultFormWithoutWeights());

        ApiAssert.ValidationProblem(result, TrainingJobRoutes.WeightsPart);
        Assert.Equal(TrainingStatus.Training, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task Uploading_a_confusion_matrix_that_is_not_square_answers_400()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        var result = await UploadAsync(resultId, AResultForm(AResultReport() with { ConfusionMatrix = [[1, 2], [3]] }));

        ApiAssert.ValidationProblem(result, "report.confusionMatrix");
    }

    [Fact]
    public async Task The_notifier_hears_each_status_change_and_each_epoch_of_the_result()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Deployed);
        var heard = new List<ResultChange>();
        using var subscription = Harness.Notifier.Subscribe(resultId, change =>
        {
            lock (heard) heard.Add(change);
            return Task.CompletedTask;
        });

        await ReportStatusAsync(resultId, new TrainingStatusReport("training", Data: AHcopdDataReport()));
        await ReportEpochAsync(resultId, AnEpoch(1));
        await ReportEpochAsync(resultId, AnEpoch(2));
        await UploadAsync(resultId, AResultForm());

        Assert.Equal(
            [(ResultChangeKind.Status, TrainingStatus.Training, (int?)null), (ResultChangeKind.Epoch, TrainingStatus.Training, 1),
             (ResultChangeKind.Epoch, TrainingStatus.Training, 2), (ResultChangeKind.Status, TrainingStatus.Finished, null)],
            heard.Select(c => (c.Kind, c.Status, c.Epoch)));
        Assert.All(heard, c => Assert.Equal(resultId, c.ResultId));
    }
}
