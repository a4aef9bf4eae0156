using System.IO.Compression;
using KafkaMl.Core.Jobs.Training;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Jobs;

/// <summary>
/// A training job publishing versions through its own portal client (token, multipart, route) to the real portal,
/// and a user reading them back through the public API.
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class ModelVersionsPortalSpecs(OrchestrationPortalFactory portal) : IDisposable
{
    private readonly HttpClient http = portal.CreateClient();
    private readonly DirectoryInfo files = Directory.CreateTempSubdirectory("kafkaml-versions-");

    public void Dispose()
    {
        http.Dispose();
        files.Delete(recursive: true);
    }

    private async Task<(int ResultId, string Token)> DeployAndWaitForJobAsync()
    {
        var configurationId = await portal.Services.SeedConfigurationOfNewModelsAsync(1);
        var response = await http.PostAsJsonAsync("/api/deployments", ADeploymentRequest(configurationId) with { Incremental = true, Indefinite = true });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var resultId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results")[0].GetProperty("id").GetInt32();
        var spec = await portal.Runner.WaitForStartAsync(JobSpec.TrainingName(resultId), Eventually.Patience);
        return (resultId, spec.Environment[JobEnvironment.TokenVariable]);
    }

    private async Task<TrainingArtifacts> ArtifactsAsync(int version)
    {
        var directory = files.CreateSubdirectory($"v{version}").FullName;
        var artifacts = new TrainingArtifacts(Path.Combine(directory, "model.dat"), Path.Combine(directory, "model.safetensors"));
        await File.WriteAllTextAsync(artifacts.WeightsPath, $"weights of version {version}");
        await File.WriteAllTextAsync(artifacts.SafetensorsPath, $"safetensors of version {version}");
        return artifacts;
    }

    private static ModelVersionReport AVersion(int version, long samplesSeen, double valAccuracy) => new(
        version,
        samplesSeen,
        new Dictionary<string, double> { ["loss"] = 0.5, ["accuracy"] = valAccuracy + 0.02 },
        new Dictionary<string, double> { ["loss"] = 0.6, ["accuracy"] = valAccuracy },
        null,
        new JsonObject { ["kind"] = "standard", ["mean"] = new JsonArray(version * 1.0), ["std"] = new JsonArray(1.0) });

    [Fact]
    public async Task A_job_started_again_reads_the_last_version_its_window_and_its_weights_back_with_its_token()
    {
        var (resultId, token) = await DeployAndWaitForJobAsync();
        await using var client = new PortalClient(portal.Server.BaseAddress, resultId, token, handler: portal.Server.CreateHandler());
        Assert.Null(await client.GetLatestVersionAsync(CancellationToken.None));

        var loss = new Dictionary<string, double> { ["loss"] = 0.5 };
        await client.ReportEpochAsync(new EpochReportDto(1, loss, loss), CancellationToken.None);
        await client.PublishVersionAsync(AVersion(1, samplesSeen: 256, valAccuracy: 0.71), await ArtifactsAsync(1), CancellationToken.None);
        await client.ReportEpochAsync(new EpochReportDto(2, loss, loss), CancellationToken.None);
        await client.PublishVersionAsync(AVersion(2, samplesSeen: 512, valAccuracy: 0.84), await ArtifactsAsync(2), CancellationToken.None);
        var latest = await client.GetLatestVersionAsync(CancellationToken.None);
        var downloaded = Path.Combine(files.FullName, "downloaded.dat");
        await client.DownloadVersionWeightsAsync(1, downloaded, CancellationToken.None);

        Assert.NotNull(latest);
        Assert.Equal((2, 512L, 2), (latest.Version, latest.SamplesSeen, latest.Window));
        Assert.Equal(0.84, latest.ValMetrics["accuracy"]);
        Assert.Equal(2.0, latest.Scaler!["mean"]![0]!.GetValue<double>());
        Assert.Equal("weights of version 1", await File.ReadAllTextAsync(downloaded));
    }

    [Fact]
    public async Task A_job_publishes_two_versions_with_its_client_and_the_api_lists_and_bundles_each()
    {
        var (resultId, token) = await DeployAndWaitForJobAsync();
        await using (var client = new PortalClient(portal.Server.BaseAddress, resultId, token, handler: portal.Server.CreateHandler()))
        {
            await client.PublishVersionAsync(AVersion(1, samplesSeen: 256, valAccuracy: 0.71), await ArtifactsAsync(1), CancellationToken.None);
            await client.PublishVersionAsync(AVersion(2, samplesSeen: 1024, valAccuracy: 0.84), await ArtifactsAsync(2), CancellationToken.None);
        }

        var versions = await http.GetFromJsonAsync<JsonElement>($"/api/results/{resultId}/versions");
        Assert.Equal([1, 2], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([256L, 1024L], versions.EnumerateArray().Select(v => v.GetProperty("samplesSeen").GetInt64()));
        Assert.Equal(0.84, versions[1].GetProperty("valMetrics").GetProperty("accuracy").GetDouble());
        Assert.True(versions[1].TryGetProperty("publishedAt", out _));
        Assert.Equal("training", (await http.GetFromJsonAsync<JsonElement>($"/api/results/{resultId}")).GetProperty("status").GetString());

        using var model = await http.GetAsync($"/api/results/{resultId}/versions/2/model");
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal("application/zip", model.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(await model.Content.ReadAsStreamAsync());
        Assert.Equal("weights of version 2", await new StreamReader(zip.GetEntry("model.dat")!.Open()).ReadToEndAsync());
        Assert.Equal("safetensors of version 2", await new StreamReader(zip.GetEntry("model.safetensors")!.Open()).ReadToEndAsync());
        var metadata = JsonNode.Parse(await new StreamReader(zip.GetEntry("metadata.json")!.Open()).ReadToEndAsync())!;
        Assert.Equal(2, metadata["modelVersion"]!["version"]!.GetValue<int>());
        Assert.Equal(2.0, metadata["scaler"]!["mean"]![0]!.GetValue<double>());

        using var unknown = await http.GetAsync($"/api/results/{resultId}/versions/3/model");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("its versions are 1 to 2", await unknown.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Another_results_token_cannot_publish_a_version()
    {
        var (resultId, _) = await DeployAndWaitForJobAsync();
        var (_, otherToken) = await DeployAndWaitForJobAsync();
        await using var client = new PortalClient(portal.Server.BaseAddress, resultId, otherToken, handler: portal.Server.CreateHandler());

        var refused = await Assert.ThrowsAsync<TrainingReportException>(
            async () => await client.PublishVersionAsync(AVersion(1, 10, 0.5), await ArtifactsAsync(1), CancellationToken.None));

        Assert.Equal(403, refused.StatusCode);
        Assert.Equal("[]", await http.GetStringAsync($"/api/results/{resultId}/versions"));
    }
}
