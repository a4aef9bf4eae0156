using System.IO.Compression;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Primitives;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Apis;

/// <summary>A result's model versions: published by its job, recorded for a bounded upload, listed and bundled by the API.</summary>
public sealed class ResultVersionsApiSpecs : HarnessSpecBase
{
    private ResultService Results(KafkaMlDbContext db) => new(new ContextsLike(db), Harness.Orchestrator, Harness.Notifier, Harness.Runner, Harness.KafkaMlOptions);

    private async Task<IResult> PublishAsync(int resultId, IFormCollection form)
    {
        await using var db = Harness.CreateContext();
        return (await TrainingJobsApi.PublishVersion(resultId, form, db, Harness.Orchestrator, Harness.Notifier, Ct)).Result;
    }

    private async Task<IResult> ListAsync(int resultId)
    {
        await using var db = Harness.CreateContext();
        return (await ResultsApi.ListVersions(resultId, Results(db), Ct)).Result;
    }

    private async Task<List<ModelVersionResponse>> VersionsAsync(int resultId) =>
        Assert.IsType<Ok<List<ModelVersionResponse>>>(await ListAsync(resultId)).Value!;

    private async Task<IResult> DownloadAsync(int resultId, int version)
    {
        await using var db = Harness.CreateContext();
        return (await ResultsApi.DownloadVersionModel(resultId, version, Results(db), Ct)).Result;
    }

    private static (Dictionary<string, byte[]> Entries, JsonNode Metadata) Unzip(IResult download)
    {
        var file = Assert.IsType<FileContentHttpResult>(download);
        using var zip = new ZipArchive(new MemoryStream(file.FileContents.ToArray()));
        var entries = zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        });
        return (entries, JsonNode.Parse(entries[ResultService.MetadataEntry])!);
    }

    [Fact]
    public async Task A_bounded_result_upload_records_version_1_on_its_own_weights_with_the_streams_samples()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Deployed);
        await using (var db = Harness.CreateContext())
        {
            await TrainingJobsApi.ReportStatus(resultId, new TrainingStatusReport("training", Data: AHcopdDataReport()), db, Harness.Notifier, Ct);
            await TrainingJobsApi.UploadResult(resultId, AResultForm(), db, Harness.Orchestrator, Harness.Notifier, Ct);
            // A retried upload (its answer lost) adds nothing.
            await TrainingJobsApi.UploadResult(resultId, AResultForm(), db, Harness.Orchestrator, Harness.Notifier, Ct);
        }

        var version = Assert.Single(await VersionsAsync(resultId));
        Assert.Equal((1, 120L + 119), (version.Version, version.SamplesSeen));
        Assert.Equal((0.38, 0.83), (version.ValMetrics["loss"], version.TestMetrics["accuracy"]));
        Assert.Equal("standard", version.Scaler!["kind"]!.GetValue<string>());
        await using var check = Harness.CreateContext();
        Assert.Equal($"results/{resultId}/model.dat", (await check.ModelVersions.SingleAsync()).WeightsPath);
        var (entries, metadata) = Unzip(await DownloadAsync(resultId, 1));
        Assert.Equal(WeightBytes, entries["model.dat"]);
        Assert.Equal(SafetensorsBytes, entries["model.safetensors"]);
        Assert.Equal(1, metadata["modelVersion"]!["version"]!.GetValue<int>());
        Assert.Equal(10, metadata["confusionMatrix"]![0]![0]!.GetValue<int>());
    }

    [Fact]
    public async Task Published_versions_are_listed_in_order_and_each_bundle_holds_its_own_weights_scaler_and_metrics()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        Assert.IsType<NoContent>(await PublishAsync(resultId, AVersionForm(AVersionReport(1, samplesSeen: 256, valAccuracy: 0.7), "weights-one")));
        Assert.IsType<NoContent>(await PublishAsync(resultId, AVersionForm(AVersionReport(2, samplesSeen: 768, valAccuracy: 0.8), "weights-two")));

        var versions = await VersionsAsync(resultId);
        Assert.Equal([(1, 256L, 0.7), (2, 768L, 0.8)], versions.Select(v => (v.Version, v.SamplesSeen, v.ValMetrics["accuracy"])));
        Assert.True(versions[0].PublishedAt <= versions[1].PublishedAt);
        var (entries, metadata) = Unzip(await DownloadAsync(resultId, 2));
        Assert.Equal("weights-two", Encoding.ASCII.GetString(entries["model.dat"]));
        Assert.False(entries.ContainsKey("model.safetensors"));
        Assert.Equal((2, 768L), (metadata["modelVersion"]!["version"]!.GetValue<int>(), metadata["modelVersion"]!["samplesSeen"]!.GetValue<long>()));
        Assert.Equal(2.0, metadata["scaler"]!["mean"]![0]!.GetValue<double>());
        Assert.Equal(0.8, metadata["metrics"]!["validation"]!["accuracy"]!.GetValue<double>());
        Assert.Null(metadata["confusionMatrix"]);
        Assert.Equal("weights-one", Encoding.ASCII.GetString(Unzip(await DownloadAsync(resultId, 1)).Entries["model.dat"]));
        Assert.True(File.Exists(Path.Combine(Harness.DataDir, "results", resultId.ToString(), "versions", "2", "model.dat")));
    }

    [Fact]
    public async Task The_versions_json_has_the_issues_fields_in_camel_case()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        await PublishAsync(resultId, AVersionForm(AVersionReport(1), "w"));

        var json = JsonSerializer.SerializeToElement(await VersionsAsync(resultId), JsonSerializerOptions.Web)[0];

        foreach (var field in new[] { "version", "publishedAt", "samplesSeen", "trainMetrics", "valMetrics", "testMetrics", "scaler" })
            Assert.True(json.TryGetProperty(field, out _), field);
    }

    [Fact]
    public async Task A_version_sent_again_is_a_retry_kept_once_with_its_first_weights()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        await PublishAsync(resultId, AVersionForm(AVersionReport(1, samplesSeen: 100), "first"));

        var again = await PublishAsync(resultId, AVersionForm(AVersionReport(1, samplesSeen: 999), "second"));

        Assert.IsType<NoContent>(again);
        Assert.Equal(100, Assert.Single(await VersionsAsync(resultId)).SamplesSeen);
        Assert.Equal("first", Encoding.ASCII.GetString(Unzip(await DownloadAsync(resultId, 1)).Entries["model.dat"]));
    }

    [Fact]
    public async Task A_version_that_skips_a_number_is_refused_naming_the_one_expected()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        await PublishAsync(resultId, AVersionForm(AVersionReport(1), "w"));

        var result = await PublishAsync(resultId, AVersionForm(AVersionReport(3), "w"));

        var messages = ApiAssert.ValidationProblem(result, "version.version");
        Assert.Contains("publish version 2 next", Assert.Single(messages));
        Assert.Single(await VersionsAsync(resultId));
    }

    [Fact]
    public async Task A_version_without_weights_is_refused_and_nothing_is_stored()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        var form = new FormCollection(
            new Dictionary<string, StringValues> { [TrainingJobRoutes.VersionPart] = JsonSerializer.Serialize(AVersionReport(1), JsonSerializerOptions.Web) },
            new FormFileCollection());

        ApiAssert.ValidationProblem(await PublishAsync(resultId, form), TrainingJobRoutes.WeightsPart);
        Assert.Empty(await VersionsAsync(resultId));
    }

    [Theory]
    [InlineData(TrainingStatus.Stopped)]
    [InlineData(TrainingStatus.Finished)]
    [InlineData(TrainingStatus.Failed)]
    public async Task A_final_result_refuses_a_new_version_with_409_so_the_job_stops(TrainingStatus final)
    {
        var resultId = await Harness.SeedResultAsync(final);

        Assert.IsType<Conflict<ProblemDetails>>(await PublishAsync(resultId, AVersionForm(AVersionReport(1), "w")));
        Assert.Empty(await VersionsAsync(resultId));
    }

    [Fact]
    public async Task A_version_published_by_a_deployed_result_means_data_arrived_it_is_training()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Deployed);

        await PublishAsync(resultId, AVersionForm(AVersionReport(1), "w"));

        Assert.Equal(TrainingStatus.Training, (await Harness.ReadResultAsync(resultId)).Status);
    }

    [Fact]
    public async Task Unknown_results_and_versions_answer_404_saying_which_versions_exist()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);

        var noResult = Assert.IsType<NotFound<ProblemDetails>>(await ListAsync(999));
        var noneYet = Assert.IsType<NotFound<ProblemDetails>>(await DownloadAsync(resultId, 1));
        await PublishAsync(resultId, AVersionForm(AVersionReport(1), "w"));
        await PublishAsync(resultId, AVersionForm(AVersionReport(2), "w"));
        var noSuchVersion = Assert.IsType<NotFound<ProblemDetails>>(await DownloadAsync(resultId, 7));
        var noResultModel = Assert.IsType<NotFound<ProblemDetails>>(await DownloadAsync(999, 1));

        Assert.Equal("Result 999 does not exist.", noResult.Value!.Detail);
        Assert.Equal($"Result {resultId} has no published version yet.", noneYet.Value!.Detail);
        Assert.Equal($"Result {resultId} has no version 7; its versions are 1 to 2.", noSuchVersion.Value!.Detail);
        Assert.Equal("Result 999 does not exist.", noResultModel.Value!.Detail);
    }

    [Fact]
    public async Task Deleting_a_result_deletes_its_versions_and_their_files()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        await PublishAsync(resultId, AVersionForm(AVersionReport(1), "w"));
        await Harness.SetStatusAsync(resultId, TrainingStatus.Stopped);

        await using (var db = Harness.CreateContext()) await Results(db).DeleteAsync(resultId, Ct);

        await using var check = Harness.CreateContext();
        Assert.False(await check.ModelVersions.AnyAsync());
        Assert.False(Directory.Exists(Path.Combine(Harness.DataDir, "results", resultId.ToString())));
    }
}
