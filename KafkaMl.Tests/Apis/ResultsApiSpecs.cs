using System.IO.Compression;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Apis;

public sealed class ResultsApiSpecs : HarnessSpecBase
{
    /// <summary>The service the handlers call, over contexts like <paramref name="db"/>.</summary>
    private ResultService Results(KafkaMlDbContext db) => new(new ContextsLike(db), Harness.Orchestrator, Harness.Notifier, Harness.Runner, Harness.KafkaMlOptions);

    /// <summary>A result the job reported on from start to finish (data, two epochs, upload).</summary>
    private async Task<int> FinishedResultAsync()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Deployed);
        await using var db = Harness.CreateContext();
        await TrainingJobsApi.ReportStatus(resultId, new TrainingStatusReport("training", Data: AHcopdDataReport()), db, Harness.Notifier, Ct);
        await TrainingJobsApi.ReportEpoch(resultId, AnEpoch(1, loss: 0.7), db, Harness.Notifier, Ct);
        await TrainingJobsApi.ReportEpoch(resultId, AnEpoch(2, loss: 0.4), db, Harness.Notifier, Ct);
        await TrainingJobsApi.UploadResult(resultId, AResultForm(), db, Harness.Orchestrator, Harness.Notifier, Ct);
        return resultId;
    }

    private async Task<IResult> StopAsync(int resultId)
    {
        await using var db = Harness.CreateContext();
        return (await ResultsApi.StopResult(resultId, Results(db), Ct)).Result;
    }

    [Fact]
    public async Task Getting_a_finished_result_shows_its_metrics_matrix_time_and_input()
    {
        var resultId = await FinishedResultAsync();
        await using var db = Harness.CreateContext();

        var result = await ResultsApi.GetResult(resultId, Results(db), Ct);

        var response = Assert.IsType<Ok<ResultResponse>>(result.Result).Value!;
        Assert.Equal(TrainingStatus.Finished, response.Status);
        Assert.Equal(0.83, response.TestMetrics["accuracy"]);
        Assert.Equal([[10, 2], [3, 9]], response.ConfusionMatrix);
        Assert.Equal(12.5, response.TrainingSeconds);
        Assert.Null(response.Error);
        Assert.True(response.ModelAvailable);
        Assert.Equal("AVRO", response.Input!.InputFormat);
        Assert.StartsWith("model-", response.ModelName);
    }

    [Fact]
    public async Task The_result_json_has_the_designs_fields_in_camel_case()
    {
        var resultId = await FinishedResultAsync();
        await using var db = Harness.CreateContext();

        var response = Assert.IsType<Ok<ResultResponse>>((await ResultsApi.GetResult(resultId, Results(db), Ct)).Result).Value!;

        var json = JsonSerializer.SerializeToElement(response, JsonSerializerOptions.Web);
        foreach (var field in new[] { "id", "deploymentId", "modelId", "status", "trainMetrics", "valMetrics", "testMetrics", "confusionMatrix", "trainingSeconds", "statusChanged", "error" })
            Assert.True(json.TryGetProperty(field, out _), field);
        Assert.Equal("finished", json.GetProperty("status").GetString());
        Assert.Equal(0.41, json.GetProperty("testMetrics").GetProperty("loss").GetDouble());
    }

    [Fact]
    public async Task Listing_results_filters_by_deployment_and_status()
    {
        var training = await Harness.SeedResultAsync(TrainingStatus.Training);
        var finished = await Harness.SeedResultAsync(TrainingStatus.Finished);
        var deploymentOfTraining = (await Harness.ReadResultAsync(training)).DeploymentId;
        await using var db = Harness.CreateContext();

        var all = await ResultsApi.ListResults(null, null, Results(db), Ct);
        var ofDeployment = await ResultsApi.ListResults(deploymentOfTraining, null, Results(db), Ct);
        var byStatus = await ResultsApi.ListResults(null, "FINISHED", Results(db), Ct);

        Assert.Equal([finished, training], Assert.IsType<Ok<List<ResultResponse>>>(all.Result).Value!.Select(r => r.Id));
        Assert.Equal([training], Assert.IsType<Ok<List<ResultResponse>>>(ofDeployment.Result).Value!.Select(r => r.Id));
        Assert.Equal([finished], Assert.IsType<Ok<List<ResultResponse>>>(byStatus.Result).Value!.Select(r => r.Id));
    }

    [Fact]
    public async Task Listing_results_by_an_unknown_status_answers_400_on_status()
    {
        await using var db = Harness.CreateContext();

        var result = await ResultsApi.ListResults(null, "done", Results(db), Ct);

        ApiAssert.ValidationProblem(result.Result, "status");
    }

    [Fact]
    public async Task The_metrics_are_the_per_epoch_series_in_epoch_order()
    {
        var resultId = await FinishedResultAsync();
        await using var db = Harness.CreateContext();

        var result = await ResultsApi.GetMetrics(resultId, Results(db), Ct);

        var metrics = Assert.IsType<Ok<ResultMetricsResponse>>(result.Result).Value!;
        Assert.Equal([1, 2], metrics.Epochs.Select(e => e.Epoch));
        Assert.Equal([0.7, 0.4], metrics.Epochs.Select(e => e.Train["loss"]));
        Assert.Equal(0.75, metrics.Epochs[1].Validation["accuracy"], 10);
        var json = JsonSerializer.SerializeToElement(metrics, JsonSerializerOptions.Web);
        Assert.Equal(0.5, json.GetProperty("epochs")[1].GetProperty("validation").GetProperty("loss").GetDouble(), 10);
    }

    [Fact]
    public async Task The_metrics_of_an_unknown_result_answer_404()
    {
        await using var db = Harness.CreateContext();

        Assert.IsType<NotFound<ProblemDetails>>((await ResultsApi.GetMetrics(77, Results(db), Ct)).Result);
    }

    [Theory]
    [InlineData(TrainingStatus.Created)]
    [InlineData(TrainingStatus.Deployed)]
    [InlineData(TrainingStatus.Training)]
    public async Task Stopping_an_unfinished_result_ends_its_job_and_marks_it_stopped(TrainingStatus status)
    {
        var resultId = await Harness.SeedResultAsync(status);

        var result = await StopAsync(resultId);

        Assert.Equal(TrainingStatus.Stopped, Assert.IsType<Ok<ResultResponse>>(result).Value!.Status);
        Assert.Equal([JobSpec.TrainingName(resultId)], Harness.Runner.Stopped);
        Assert.Equal(TrainingStatus.Stopped, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Theory]
    [InlineData(TrainingStatus.Finished)]
    [InlineData(TrainingStatus.Failed)]
    [InlineData(TrainingStatus.Stopped)]
    public async Task Stopping_a_final_result_answers_409_and_changes_nothing(TrainingStatus status)
    {
        var resultId = await Harness.SeedResultAsync(status);

        var result = await StopAsync(resultId);

        Assert.IsType<Conflict<ProblemDetails>>(result);
        Assert.Empty(Harness.Runner.Stopped);
        Assert.Equal(status, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task Stopping_notifies_the_results_subscribers()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        var heard = new TaskCompletionSource<ResultChange>();
        using var subscription = Harness.Notifier.SubscribeAll(change => { heard.TrySetResult(change); return Task.CompletedTask; });

        await StopAsync(resultId);

        var change = await heard.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((resultId, ResultChangeKind.Status, TrainingStatus.Stopped), (change.ResultId, change.Kind, change.Status));
    }

    [Fact]
    public async Task Deleting_a_running_result_stops_its_job_and_removes_it_with_its_epochs()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        await using (var seed = Harness.CreateContext())
            await TrainingJobsApi.ReportEpoch(resultId, AnEpoch(1), seed, Harness.Notifier, Ct);
        await using var db = Harness.CreateContext();

        var result = await ResultsApi.DeleteResult(resultId, Results(db), Ct);

        Assert.IsType<NoContent>(result.Result);
        Assert.Equal([JobSpec.TrainingName(resultId)], Harness.Runner.Stopped);
        await using var check = Harness.CreateContext();
        Assert.False(await check.TrainingResults.AnyAsync());
        Assert.False(await check.EpochMetrics.AnyAsync());
    }

    [Fact]
    public async Task Deleting_a_finished_result_removes_its_files_and_stops_nothing()
    {
        var resultId = await FinishedResultAsync();
        await using var db = Harness.CreateContext();

        await ResultsApi.DeleteResult(resultId, Results(db), Ct);

        Assert.Empty(Harness.Runner.Stopped);
        Assert.False(Directory.Exists(Harness.Orchestrator.ResultDirectory(resultId)));
    }

    [Fact]
    public async Task Deleting_a_result_served_by_an_inference_answers_409_and_keeps_it()
    {
        var resultId = await FinishedResultAsync();
        await using (var seed = Harness.CreateContext())
        {
            seed.Inferences.Add(new Core.Domain.Inference { ResultId = resultId, InputFormat = "RAW", InputTopic = "in", OutputTopic = "out", StatusChanged = DateTimeOffset.UtcNow });
            await seed.SaveChangesAsync();
        }
        await using var db = Harness.CreateContext();

        var result = await ResultsApi.DeleteResult(resultId, Results(db), Ct);

        Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        Assert.True(File.Exists(Path.Combine(Harness.Orchestrator.ResultDirectory(resultId), "model.dat")));
        await using var check = Harness.CreateContext();
        Assert.True(await check.TrainingResults.AnyAsync(r => r.Id == resultId));
    }

    [Fact]
    public async Task The_model_bundle_holds_the_script_both_weight_files_and_the_metadata()
    {
        var resultId = await FinishedResultAsync();
        var code = (await Harness.ReadResultAsync(resultId)).ModelCode;
        await using var db = Harness.CreateContext();

        var result = await ResultsApi.DownloadModel(resultId, Results(db), Ct);

        var file = Assert.IsType<FileContentHttpResult>(result.Result);
        Assert.Equal("application/zip", file.ContentType);
        Assert.Equal($"kafkaml-result-{resultId}.zip", file.FileDownloadName);
        using var zip = new ZipArchive(new MemoryStream(file.FileContents.ToArray()));
        Assert.Equal(["metadata.json", "model.csx", "model.dat", "model.safetensors"], zip.Entries.Select(e => e.FullName).Order());
        Assert.Equal(code, Read(zip, "model.csx"));
        Assert.Equal(WeightBytes, ReadBytes(zip, "model.dat"));
        Assert.Equal(SafetensorsBytes, ReadBytes(zip, "model.safetensors"));

        using var metadata = JsonDocument.Parse(Read(zip, "metadata.json"));
        var root = metadata.RootElement;
        Assert.Equal(resultId, root.GetProperty("resultId").GetInt32());
        Assert.Equal("adam", root.GetProperty("training").GetProperty("optimizer").GetString());
        Assert.Equal(0.83, root.GetProperty("metrics").GetProperty("test").GetProperty("accuracy").GetDouble());
        Assert.Equal("AVRO", root.GetProperty("input").GetProperty("format").GetString());
        Assert.Equal("standard", root.GetProperty("scaler").GetProperty("kind").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("versions").GetProperty("kafkaMl").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("versions").GetProperty("torchSharp").GetString()));
    }

    [Theory]
    [InlineData(TrainingStatus.Training)]
    [InlineData(TrainingStatus.Failed)]
    public async Task The_model_of_an_unfinished_result_answers_409(TrainingStatus status)
    {
        var resultId = await Harness.SeedResultAsync(status);
        await using var db = Harness.CreateContext();

        var result = await ResultsApi.DownloadModel(resultId, Results(db), Ct);

        Assert.IsType<Conflict<ProblemDetails>>(result.Result);
    }

    [Fact]
    public async Task The_model_of_an_unknown_result_answers_404()
    {
        await using var db = Harness.CreateContext();

        Assert.IsType<NotFound<ProblemDetails>>((await ResultsApi.DownloadModel(5, Results(db), Ct)).Result);
    }

    [Fact]
    public async Task The_log_is_the_tail_the_runner_keeps()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        Harness.Runner.SetLog(JobSpec.TrainingName(resultId), "line 1\nline 2\nepoch 3/5 loss 0.41");
        await using var db = Harness.CreateContext();

        var result = await ResultsApi.GetLog(resultId, 2, Results(db), Ct);

        var text = Assert.IsType<ContentHttpResult>(result.Result);
        Assert.Equal("line 2\nepoch 3/5 loss 0.41", text.ResponseContent);
        Assert.StartsWith("text/plain", text.ContentType);
    }

    [Fact]
    public async Task A_result_whose_runner_keeps_no_log_answers_404()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        await using var db = Harness.CreateContext();

        Assert.IsType<NotFound<ProblemDetails>>((await ResultsApi.GetLog(resultId, null, Results(db), Ct)).Result);
    }

    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open());
        return reader.ReadToEnd();
    }

    private static byte[] ReadBytes(ZipArchive zip, string name)
    {
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
