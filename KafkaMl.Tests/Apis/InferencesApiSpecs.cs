using static KafkaMl.Tests.Support.InferenceTestData;

namespace KafkaMl.Tests.Apis;

/// <summary>
/// <c>/api/inferences</c> over HTTP in the real portal (SQLite, Hangfire running the start jobs) with a
/// <see cref="FakeJobRunner"/> in place of the replicas' processes.
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class InferencesApiSpecs(OrchestrationPortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    private async Task<JsonElement> ProblemOfAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<string[]> FieldErrorsAsync(object request, string field)
    {
        using var response = await http.PostAsJsonAsync("/api/inferences", request, Json);
        var problem = await ProblemOfAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"no error on '{field}': {problem}");
        return messages.EnumerateArray().Select(m => m.GetString()!).ToArray();
    }

    private Task<InferenceResponse> GetAsync(int id) => http.GetFromJsonAsync<InferenceResponse>($"/api/inferences/{id}", Json)!;

    [Fact]
    public async Task Creating_from_a_finished_result_answers_201_with_the_results_input_and_starts_its_replicas_as_one_inference_workload()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);

        var created = await http.CreateAsync(ARequest(resultId, replicas: 2));
        var spec = await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(created.Id), Eventually.Patience);

        Assert.Equal(InferenceStatus.Created, created.Status);
        Assert.Equal(("RAW", "3"), (created.InputFormat, created.InputConfig["data_reshape"]!.GetValue<string>()));
        Assert.Equal(created.InputTopic + ".dlq", created.DeadLetterTopic);
        Assert.Equal((JobKind.Inference, 2), (spec.Kind, spec.Replicas));
        Assert.Equal(["infer", "--inference", created.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], spec.Arguments);
        Assert.Equal(OrchestrationPortalFactory.PortalUrl, spec.Environment[JobEnvironment.PortalUrlVariable]);
        Assert.StartsWith("127.0.0.1:", spec.Environment[JobEnvironment.BootstrapServersVariable]);
        var tokens = portal.Services.GetRequiredService<JobTokens>();
        Assert.True(tokens.IsValid(JobScope.Inference, created.Id, spec.Environment[JobEnvironment.TokenVariable]));
    }

    [Fact]
    public async Task Once_started_the_inference_is_deployed_and_lists_under_its_result()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId));
        await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(created.Id), Eventually.Patience);

        var listed = await http.GetFromJsonAsync<List<InferenceResponse>>($"/api/inferences?resultId={resultId}", Json);

        Assert.Equal(created.Id, Assert.Single(listed!).Id);
        // The start job marks it deployed right after the runner started it.
        await Eventually.Until(async () => (await GetAsync(created.Id)).Status, status => status != InferenceStatus.Created, "the start job to move it on", TimeSpan.FromMilliseconds(100));
        Assert.Equal(InferenceStatus.Deployed, (await GetAsync(created.Id)).Status);
    }

    [Fact]
    public async Task An_unfinished_result_is_refused_with_400_on_resultId()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir, TrainingStatus.Training);

        var errors = await FieldErrorsAsync(ARequest(resultId), "resultId");

        Assert.Contains("not finished", Assert.Single(errors));
    }

    [Fact]
    public async Task An_unknown_result_answers_404()
    {
        using var response = await http.PostAsJsonAsync("/api/inferences", ARequest(987_654), Json);

        var problem = await ProblemOfAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("987654", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("inputTopic", "has space")]
    [InlineData("inputTopic", "")]
    [InlineData("outputTopic", "bad/topic")]
    [InlineData("outputTopic", "..")]
    public async Task A_topic_name_Kafka_would_reject_is_refused_on_its_field(string field, string topic)
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var request = field == "inputTopic"
            ? new { resultId, inputTopic = topic, outputTopic = "fine-out" }
            : new { resultId, inputTopic = "fine-in", outputTopic = topic };

        Assert.NotEmpty(await FieldErrorsAsync(request, field));
    }

    [Fact]
    public async Task The_same_topic_for_input_and_output_is_refused()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);

        var errors = await FieldErrorsAsync(new { resultId, inputTopic = "loop", outputTopic = "loop" }, "outputTopic");

        Assert.Contains("differ", Assert.Single(errors));
    }

    [Fact]
    public async Task An_input_config_whose_samples_do_not_fit_the_models_input_is_refused_naming_both_sizes()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);

        var errors = await FieldErrorsAsync(
            new { resultId, inputTopic = "in-x", outputTopic = "out-x", inputFormat = "raw", inputConfig = new { data_type = "float32", data_reshape = "5" } },
            "inputConfig");

        Assert.Contains("5 values", errors[0]);
        Assert.Contains("samples of 3", errors[0]);
    }

    [Fact]
    public async Task An_input_config_the_format_cannot_use_is_refused_with_the_formats_reason()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);

        var errors = await FieldErrorsAsync(new { resultId, inputTopic = "in-y", outputTopic = "out-y", inputFormat = "AVRO", inputConfig = new { } }, "inputConfig");

        Assert.Contains("data_scheme", errors[0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public async Task A_replica_count_outside_1_to_16_is_refused(int replicas)
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);

        Assert.NotEmpty(await FieldErrorsAsync(ARequest(resultId, replicas), "replicas"));
    }

    [Fact]
    public async Task The_detail_shows_each_reporting_replicas_stats_and_the_totals()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId, replicas: 2, partitions: 4));

        await ReportAsync(created.Id, AStatsReport("kafkaml-infer-1-abc", 5, partitions: [0, 1]));
        await ReportAsync(created.Id, AStatsReport("kafkaml-infer-1-def", 5, partitions: [2, 3]));
        var detail = await GetAsync(created.Id);

        Assert.Equal(InferenceStatus.Running, detail.Status);
        Assert.Equal(["kafkaml-infer-1-abc", "kafkaml-infer-1-def"], detail.Stats.Replicas.Select(r => r.Replica));
        Assert.Equal((10L, 10L), (detail.Stats.MessagesIn, detail.Stats.MessagesOut));
        Assert.Equal(2, detail.Stats.Recent.Count);
        Assert.Equal((4, 4), (detail.Stats.AssignedPartitions, detail.InputPartitions));
    }

    [Fact]
    public async Task Running_is_not_reported_while_a_partition_of_the_input_is_unassigned()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId, replicas: 2, partitions: 3));

        await ReportAsync(created.Id, AStatsReport("0", partitions: [0]));
        await ReportAsync(created.Id, AStatsReport("1", partitions: [1]));
        var partly = await GetAsync(created.Id);
        await ReportAsync(created.Id, AStatsReport("1", partitions: [1, 2]));
        var whole = await GetAsync(created.Id);

        Assert.NotEqual(InferenceStatus.Running, partly.Status);
        Assert.Equal((2, 3), (partly.Stats.AssignedPartitions, partly.InputPartitions));
        Assert.Equal(InferenceStatus.Running, whole.Status);
    }

    [Fact]
    public async Task Running_waits_for_the_other_replicas_while_the_first_one_holds_every_partition()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId, replicas: 2, partitions: 4));

        await ReportAsync(created.Id, AStatsReport("0", partitions: [0, 1, 2, 3]));
        var alone = await GetAsync(created.Id);
        await ReportAsync(created.Id, AStatsReport("1", partitions: [2, 3]));
        await ReportAsync(created.Id, AStatsReport("0", partitions: [0, 1]));
        var spread = await GetAsync(created.Id);

        Assert.NotEqual(InferenceStatus.Running, alone.Status);
        Assert.Equal(4, alone.Stats.AssignedPartitions);
        Assert.Equal(InferenceStatus.Running, spread.Status);
    }

    [Fact]
    public async Task Scaling_above_the_input_partition_count_warns_that_replicas_would_sit_idle()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId, replicas: 1, partitions: 2));

        using var response = await http.PostAsJsonAsync($"/api/inferences/{created.Id}/scale", new { replicas = 3 }, Json);
        var scaled = await response.Content.ReadFromJsonAsync<InferenceResponse>(Json);

        Assert.Equal(3, scaled!.Replicas);
        Assert.Contains(scaled.Warnings, w => w.Contains("1 replica(s) will sit idle", StringComparison.Ordinal));
    }

    /// <summary>Posts <paramref name="report"/> as one of inference <paramref name="id"/>'s replicas would.</summary>
    private async Task ReportAsync(int id, InferenceStatsReport report)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, InferenceJobRoutes.Stats(id)) { Content = JsonContent.Create(report, options: Json) };
        request.Headers.Add(JobEnvironment.TokenHeader, portal.Services.GetRequiredService<JobTokens>().ForInference(id));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Stopping_ends_the_workload_marks_the_inference_stopped_and_its_replicas_are_told_to_exit()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId));
        await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(created.Id), Eventually.Patience);

        using var stop = await http.PostAsync($"/api/inferences/{created.Id}/stop", null);
        var stopped = await stop.Content.ReadFromJsonAsync<InferenceResponse>(Json);

        Assert.Equal(InferenceStatus.Stopped, stopped!.Status);
        Assert.Contains(JobSpec.InferenceName(created.Id), portal.Runner.Stopped);
        using var statsRequest = new HttpRequestMessage(HttpMethod.Post, InferenceJobRoutes.Stats(created.Id)) { Content = JsonContent.Create(AStatsReport("0"), options: Json) };
        statsRequest.Headers.Add(JobEnvironment.TokenHeader, portal.Services.GetRequiredService<JobTokens>().ForInference(created.Id));
        using var stats = await http.SendAsync(statsRequest);
        Assert.Equal(HttpStatusCode.Conflict, stats.StatusCode);
    }

    [Fact]
    public async Task Scaling_a_running_inference_scales_its_workload_and_records_the_count()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId));
        await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(created.Id), Eventually.Patience);

        using var response = await http.PostAsJsonAsync($"/api/inferences/{created.Id}/scale", new { replicas = 3 }, Json);
        var scaled = await response.Content.ReadFromJsonAsync<InferenceResponse>(Json);

        Assert.Equal(3, scaled!.Replicas);
        Assert.Contains((JobSpec.InferenceName(created.Id), 3), portal.Runner.Scaled);
    }

    [Fact]
    public async Task Scaling_to_0_is_refused_and_scaling_a_stopped_inference_answers_409()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId));

        using var zero = await http.PostAsJsonAsync($"/api/inferences/{created.Id}/scale", new { replicas = 0 }, Json);
        await ProblemOfAsync(zero, HttpStatusCode.BadRequest);
        using (await http.PostAsync($"/api/inferences/{created.Id}/stop", null)) { }
        using var stopped = await http.PostAsJsonAsync($"/api/inferences/{created.Id}/scale", new { replicas = 2 }, Json);
        await ProblemOfAsync(stopped, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Deleting_stops_the_workload_first_then_the_inference_is_gone()
    {
        var resultId = await portal.SeedResultAsync(portal.DataDir);
        var created = await http.CreateAsync(ARequest(resultId));
        await portal.Runner.WaitForStartAsync(JobSpec.InferenceName(created.Id), Eventually.Patience);

        using var deleted = await http.DeleteAsync($"/api/inferences/{created.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Contains(JobSpec.InferenceName(created.Id), portal.Runner.Stopped);
        using var gone = await http.GetAsync($"/api/inferences/{created.Id}");
        await ProblemOfAsync(gone, HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("POST", "/api/inferences/999999/stop")]
    [InlineData("DELETE", "/api/inferences/999999")]
    [InlineData("GET", "/api/inferences/999999")]
    public async Task An_unknown_inference_answers_404(string method, string path)
    {
        using var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ProblemOfAsync(response, HttpStatusCode.NotFound);
    }
}
