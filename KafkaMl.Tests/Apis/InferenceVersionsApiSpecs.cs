using KafkaMl.Core.Jobs;
using static KafkaMl.Tests.Support.InferenceTestData;

namespace KafkaMl.Tests.Apis;

/// <summary>
/// Which model version an inference serves, over HTTP in the real portal: pinned or <c>"latest"</c> at create and by hand
/// (<c>POST /api/inferences/{id}/version</c>), and what the replicas' routes then tell them (<c>GET .../version</c>,
/// <c>.../weights?version=N</c>, the spec). Versions are written as a publication leaves them (rows and weight files).
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class InferenceVersionsApiSpecs(OrchestrationPortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    [Fact]
    public async Task Create_pins_a_version_or_follows_the_latest_by_default_and_refuses_any_other_value_on_version()
    {
        var resultId = await SeedVersionsAsync(TrainingStatus.Finished, 1, 2);

        var following = await http.CreateAsync(ARequest(resultId));
        var latest = await http.CreateAsync(With(ARequest(resultId), "latest"));
        var pinned = await http.CreateAsync(With(ARequest(resultId), 1));

        Assert.Equal(("latest", 2), (following.Version.GetValue<string>(), following.WantedVersion));
        Assert.Equal(("latest", 2), (latest.Version.GetValue<string>(), latest.WantedVersion));
        Assert.Equal((1, 1), (pinned.Version.GetValue<int>(), pinned.WantedVersion));
        Assert.Contains("has no version 7; its versions are 1, 2", Assert.Single(await CreateErrorsAsync(With(ARequest(resultId), 7))));
        foreach (JsonNode bad in new JsonNode[] { 0, -2, 1.5, "newest", "2", new JsonArray() })
            Assert.Contains("positive whole number or \"latest\"", Assert.Single(await CreateErrorsAsync(With(ARequest(resultId), bad))));
    }

    [Fact]
    public async Task A_result_still_training_can_be_served_once_it_published_a_version()
    {
        var resultId = await SeedVersionsAsync(TrainingStatus.Training, 1);

        var created = await http.CreateAsync(ARequest(resultId));

        Assert.Equal(1, created.WantedVersion);
    }

    [Fact]
    public async Task A_pinned_inference_keeps_its_version_when_a_new_one_is_published_while_one_that_follows_gets_it_with_its_own_scaler_and_weights()
    {
        var resultId = await SeedVersionsAsync(TrainingStatus.Training, 1, 2);
        var pinned = await http.CreateAsync(With(ARequest(resultId), 2));
        var following = await http.CreateAsync(ARequest(resultId));

        await SeedVersionAsync(resultId, 3);

        Assert.Equal(2, (await WantedAsync(pinned.Id)).Version);
        var wanted = await WantedAsync(following.Id);
        Assert.Equal((3, 3.0), (wanted.Version, wanted.Scaler!["mean"]![0]!.GetValue<double>()));
        var spec = await JobGetAsync<InferenceJobSpec>(following.Id, InferenceJobRoutes.Spec(following.Id));
        Assert.Equal((3, 3.0), (spec.Version, spec.Scaler!["mean"]![0]!.GetValue<double>()));
        Assert.Equal("weights-3", await JobGetTextAsync(following.Id, InferenceJobRoutes.Weights(following.Id)));
        Assert.Equal("weights-1", await JobGetTextAsync(following.Id, InferenceJobRoutes.Weights(following.Id, 1)));
        Assert.Equal("weights-2", await JobGetTextAsync(pinned.Id, InferenceJobRoutes.Weights(pinned.Id)));
        var older = await JobGetAsync<InferenceVersionSpec>(following.Id, InferenceJobRoutes.Version(following.Id, 1));
        Assert.Equal((1, 1.0), (older.Version, older.Scaler!["mean"]![0]!.GetValue<double>()));
        using (var unknownWeights = await JobSendAsync(pinned.Id, InferenceJobRoutes.Weights(pinned.Id, 9)))
            Assert.Equal(HttpStatusCode.NotFound, unknownWeights.StatusCode);
        using var unknownVersion = await JobSendAsync(pinned.Id, InferenceJobRoutes.Version(pinned.Id, 9));
        Assert.Equal(HttpStatusCode.NotFound, unknownVersion.StatusCode);
    }

    [Fact]
    public async Task Pinning_by_hand_rolls_back_latest_promotes_again_and_the_response_shows_what_the_replicas_serve()
    {
        var resultId = await SeedVersionsAsync(TrainingStatus.Finished, 1, 2);
        var created = await http.CreateAsync(ARequest(resultId));

        var rolledBack = await SetVersionAsync(created.Id, 1);
        Assert.Equal((1, 1), (rolledBack.Version.GetValue<int>(), rolledBack.WantedVersion));
        Assert.Equal(1, (await WantedAsync(created.Id)).Version);
        var promoted = await SetVersionAsync(created.Id, "latest");
        Assert.Equal(("latest", 2), (promoted.Version.GetValue<string>(), promoted.WantedVersion));
        Assert.Equal(2, (await WantedAsync(created.Id)).Version);

        // What the replicas report is what the API shows as served: never the version a replica refused.
        await ReportAsync(created.Id, AStatsReport("0") with { ModelVersion = 1, RefusedVersion = 2, LoadError = "The weights do not fit this model" });
        var shown = await http.GetFromJsonAsync<InferenceResponse>($"/api/inferences/{created.Id}", Json);
        Assert.Equal((1, 2), (shown!.ServedVersion, shown.WantedVersion));
        var replica = Assert.Single(shown.Stats.Replicas);
        Assert.Equal((1, 2, "The weights do not fit this model"), (replica.ModelVersion, replica.RefusedVersion, replica.LoadError));
    }

    [Fact]
    public async Task Setting_a_version_answers_400_for_a_bad_or_unknown_one_404_for_an_unknown_inference_and_409_once_stopped()
    {
        var resultId = await SeedVersionsAsync(TrainingStatus.Finished, 1);
        var created = await http.CreateAsync(ARequest(resultId));

        Assert.Contains("has no version 4", await SetVersionErrorAsync(created.Id, new { version = 4 }));
        Assert.Contains("positive whole number", await SetVersionErrorAsync(created.Id, new { version = "oldest" }));
        Assert.Contains("Give the version to serve", await SetVersionErrorAsync(created.Id, new { }));
        using (var missing = await http.PostAsJsonAsync("/api/inferences/987654/version", new { version = 1 }, Json))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using (var stop = await http.PostAsync($"/api/inferences/{created.Id}/stop", null))
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        using var stopped = await http.PostAsJsonAsync($"/api/inferences/{created.Id}/version", new { version = 1 }, Json);
        Assert.Equal(HttpStatusCode.Conflict, stopped.StatusCode);
    }

    // ---- helpers ----

    /// <summary>A seeded result in <paramref name="status"/> with <paramref name="versions"/> published.</summary>
    private async Task<int> SeedVersionsAsync(TrainingStatus status, params int[] versions)
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir, status);
        foreach (var version in versions) await SeedVersionAsync(resultId, version);
        return resultId;
    }

    /// <summary>Version <paramref name="version"/> as its publication leaves it: weights <c>weights-N</c>, a scaler whose first mean is N.</summary>
    private async Task SeedVersionAsync(int resultId, int version)
    {
        var folder = ResultFiles.RelativeVersionFolder(resultId, version);
        Directory.CreateDirectory(Path.Combine(portal.DataDir, folder));
        var weights = Path.Combine(folder, ResultFiles.Weights);
        await File.WriteAllTextAsync(Path.Combine(portal.DataDir, weights), $"weights-{version}");
        using var scope = portal.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
        db.ModelVersions.Add(new ModelVersion
        {
            ResultId = resultId, Version = version, PublishedAt = DateTimeOffset.UtcNow, SamplesSeen = 256L * version, WeightsPath = weights,
            Scaler = $$"""{"mean":[{{version}},2,3],"std":[1,1,1]}""",
        });
        await db.SaveChangesAsync();
    }

    private static JsonObject With(object request, JsonNode version)
    {
        var json = JsonSerializer.SerializeToNode(request, Json)!.AsObject();
        json["version"] = version;
        return json;
    }

    private async Task<string[]> CreateErrorsAsync(object request)
    {
        using var response = await http.PostAsJsonAsync("/api/inferences", request, Json);
        return await FieldErrorsAsync(response, "version");
    }

    private async Task<InferenceResponse> SetVersionAsync(int id, JsonNode version)
    {
        using var response = await http.PostAsJsonAsync($"/api/inferences/{id}/version", new JsonObject { ["version"] = version }, Json);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonSerializer.Deserialize<InferenceResponse>(text, Json)!;
    }

    private async Task<string> SetVersionErrorAsync(int id, object request)
    {
        using var response = await http.PostAsJsonAsync($"/api/inferences/{id}/version", request, Json);
        return Assert.Single(await FieldErrorsAsync(response, "version"));
    }

    private static async Task<string[]> FieldErrorsAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {text}");
        var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error on '{field}': {text}");
        return messages.EnumerateArray().Select(m => m.GetString()!).ToArray();
    }

    private Task<InferenceVersionSpec> WantedAsync(int id) => JobGetAsync<InferenceVersionSpec>(id, InferenceJobRoutes.Version(id));

    /// <summary>A replica's request (with the inference's job token).</summary>
    private async Task<HttpResponseMessage> JobSendAsync(int id, string route, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(content is null ? HttpMethod.Get : HttpMethod.Post, route) { Content = content };
        request.Headers.Add(JobEnvironment.TokenHeader, portal.Services.GetRequiredService<JobTokens>().ForInference(id));
        return await http.SendAsync(request);
    }

    private async Task<T> JobGetAsync<T>(int id, string route)
    {
        using var response = await JobSendAsync(id, route);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{route} answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, Json)!;
    }

    private async Task<string> JobGetTextAsync(int id, string route)
    {
        using var response = await JobSendAsync(id, route);
        Assert.True(response.IsSuccessStatusCode, $"{route} answered {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync();
    }

    private async Task ReportAsync(int id, InferenceStatsReport report)
    {
        using var response = await JobSendAsync(id, InferenceJobRoutes.Stats(id), JsonContent.Create(report, options: Json));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}
