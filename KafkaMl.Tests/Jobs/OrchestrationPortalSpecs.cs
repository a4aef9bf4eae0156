using System.IO.Compression;
using System.Net.Http.Headers;
using Hangfire;
using KafkaMl.Tests.Scripting;
using KafkaMl.Web.Jobs;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Jobs;

/// <summary>
/// The training flow over HTTP in the real portal: routes, Hangfire running the start jobs, job tokens on the
/// report endpoints, multipart upload, and model validation through the real <c>model-check</c> child process.
/// </summary>
[Collection(OrchestrationPortalCollection.Name)]
public sealed class OrchestrationPortalSpecs(OrchestrationPortalFactory portal)
{
    private readonly HttpClient http = portal.CreateClient();

    private Task<int> SeedConfigurationAsync(int models) => portal.Services.SeedConfigurationOfNewModelsAsync(models);

    /// <summary>Deploys a configuration of <paramref name="models"/> models over HTTP and waits until Hangfire started every job.</summary>
    private async Task<(int DeploymentId, int[] ResultIds, JobSpec[] Specs)> DeployAndWaitForJobsAsync(int models)
    {
        var configurationId = await SeedConfigurationAsync(models);
        var response = await http.PostAsJsonAsync("/api/deployments", ADeploymentRequest(configurationId));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var resultIds = body.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetInt32()).ToArray();
        var specs = await Task.WhenAll(resultIds.Select(id => portal.Runner.WaitForStartAsync(JobSpec.TrainingName(id), Eventually.Patience)));
        return (body.GetProperty("id").GetInt32(), resultIds, specs);
    }

    private static HttpRequestMessage JobRequest(HttpMethod method, string path, string? token, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null) request.Headers.Add(JobEnvironment.TokenHeader, token);
        return request;
    }

    private static string TokenOf(JobSpec spec) => spec.Environment[JobEnvironment.TokenVariable];

    private async Task<string> StatusOfAsync(int resultId) =>
        (await http.GetFromJsonAsync<JsonElement>($"/api/results/{resultId}")).GetProperty("status").GetString()!;

    [Fact]
    public async Task Deploying_over_http_answers_201_with_a_created_result_per_model_and_hangfire_starts_a_job_for_each()
    {
        var (deploymentId, resultIds, specs) = await DeployAndWaitForJobsAsync(models: 2);

        Assert.Equal(2, resultIds.Length);
        Assert.All(specs, spec => Assert.Equal(OrchestrationPortalFactory.PortalUrl, spec.Environment[JobEnvironment.PortalUrlVariable]));
        Assert.All(specs, spec => Assert.StartsWith("127.0.0.1:", spec.Environment[JobEnvironment.BootstrapServersVariable]));
        var deployment = await http.GetFromJsonAsync<JsonElement>($"/api/deployments/{deploymentId}");
        Assert.Equal(resultIds, deployment.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("id").GetInt32()));
    }

    [Fact]
    public async Task A_jobs_token_opens_its_own_results_endpoints_and_no_others()
    {
        var (_, resultIds, specs) = await DeployAndWaitForJobsAsync(models: 2);
        var (own, other) = (resultIds[0], resultIds[1]);
        var token = TokenOf(specs[0]);

        using var mine = await http.SendAsync(JobRequest(HttpMethod.Get, TrainingJobRoutes.Spec(own), token));
        using var theirs = await http.SendAsync(JobRequest(HttpMethod.Get, TrainingJobRoutes.Spec(other), token));
        using var theirStatus = await http.SendAsync(JobRequest(HttpMethod.Post, TrainingJobRoutes.Status(other), token,
            JsonContent.Create(new TrainingStatusReport("failed", "forged"))));
        using var none = await http.SendAsync(JobRequest(HttpMethod.Get, TrainingJobRoutes.Spec(own), token: null));

        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Equal(own, (await mine.Content.ReadFromJsonAsync<TrainingJobSpec>(JsonSerializerOptions.Web))!.ResultId);
        Assert.Equal(HttpStatusCode.Forbidden, theirs.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, theirStatus.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.NotEqual("failed", await StatusOfAsync(other));
    }

    [Fact]
    public async Task A_job_reports_training_epochs_and_uploads_its_result_over_http_and_the_model_downloads()
    {
        var (_, resultIds, specs) = await DeployAndWaitForJobsAsync(models: 1);
        var (resultId, token) = (resultIds[0], TokenOf(specs[0]));

        using var training = await http.SendAsync(JobRequest(HttpMethod.Post, TrainingJobRoutes.Status(resultId), token,
            JsonContent.Create(new TrainingStatusReport("training", Data: AHcopdDataReport()))));
        using var epoch = await http.SendAsync(JobRequest(HttpMethod.Post, TrainingJobRoutes.Epochs(resultId), token,
            new StringContent("""{"epoch":1,"train":{"loss":0.69,"accuracy":0.5},"validation":{"loss":"NaN"}}""", Encoding.UTF8, "application/json")));
        using var upload = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(AResultReport(), JsonSerializerOptions.Web), Encoding.UTF8, "application/json"), TrainingJobRoutes.ReportPart },
            { new ByteArrayContent(WeightBytes), TrainingJobRoutes.WeightsPart, "model.dat" },
            { new ByteArrayContent(SafetensorsBytes), TrainingJobRoutes.SafetensorsPart, "model.safetensors" },
        };
        using var uploaded = await http.SendAsync(JobRequest(HttpMethod.Post, TrainingJobRoutes.Result(resultId), token, upload));

        Assert.Equal(HttpStatusCode.NoContent, training.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, epoch.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, uploaded.StatusCode);
        Assert.Equal("finished", await StatusOfAsync(resultId));
        var metrics = await http.GetStringAsync($"/api/results/{resultId}/metrics");
        Assert.Contains("\"loss\":\"NaN\"", metrics);

        using var model = await http.GetAsync($"/api/results/{resultId}/model");
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal("application/zip", model.Content.Headers.ContentType?.MediaType);
        using var zip = new ZipArchive(await model.Content.ReadAsStreamAsync());
        Assert.Contains("model.safetensors", zip.Entries.Select(e => e.FullName));
    }

    [Fact]
    public async Task Stopping_over_http_ends_the_job_and_the_jobs_next_report_answers_409()
    {
        var (_, resultIds, specs) = await DeployAndWaitForJobsAsync(models: 1);
        var resultId = resultIds[0];

        using var stop = await http.PostAsync($"/api/results/{resultId}/stop", content: null);
        using var report = await http.SendAsync(JobRequest(HttpMethod.Post, TrainingJobRoutes.Epochs(resultId), TokenOf(specs[0]),
            JsonContent.Create(AnEpoch(1))));
        using var again = await http.PostAsync($"/api/results/{resultId}/stop", content: null);

        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Contains(JobSpec.TrainingName(resultId), portal.Runner.Stopped);
        Assert.Equal(HttpStatusCode.Conflict, report.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("stopped", await StatusOfAsync(resultId));
    }

    [Fact]
    public async Task The_recurring_reconcile_runs_in_hangfire_and_fails_a_result_whose_job_vanished()
    {
        int resultId;
        using (var scope = portal.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KafkaMlDbContext>();
            var deployment = Builders.ADeployment(await SeedConfigurationAsync(models: 1));
            deployment.Results.Add(new TrainingResult
            {
                ModelId = (await db.Models.OrderBy(m => m.Id).LastAsync()).Id,
                Status = TrainingStatus.Training,
                StatusChanged = DateTimeOffset.UtcNow.AddHours(-1), // long before the grace period ended
            });
            db.Deployments.Add(deployment);
            await db.SaveChangesAsync();
            resultId = deployment.Results.Single().Id;
        }

        portal.Services.GetRequiredService<IRecurringJobManager>().Trigger(ReconcileWorkloadJob.RecurringId(JobKind.Training));

        await Eventually.Until(() => StatusOfAsync(resultId), status => status == "failed", "reconcile to mark the result failed", TimeSpan.FromMilliseconds(250));
        var result = await http.GetFromJsonAsync<JsonElement>($"/api/results/{resultId}");
        Assert.Contains("training job is gone", result.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_invalid_deployment_answers_400_problem_json_naming_the_fields()
    {
        var configurationId = await SeedConfigurationAsync(models: 1);

        using var response = await http.PostAsJsonAsync("/api/deployments",
            new { configurationId, batchSize = 0, epochs = 5, optimizer = "adagrad", loss = "MSE" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Equal(["batchSize", "optimizer"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task Validating_the_HCOPD_MLP_reports_its_26_parameters_layers_and_output_shape_from_the_model_check_process()
    {
        using var response = await http.PostAsJsonAsync("/api/models/validate", new { code = ModelScripts.HcopdMlp, inputShape = new[] { 3 } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(body.GetProperty("ok").GetBoolean(), body.ToString());
        Assert.Equal(ModelScripts.HcopdMlpParameters, body.GetProperty("parameters").GetInt32());
        Assert.Equal(["drop", "fc1", "sig", "fc2"], body.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal([1, 2], body.GetProperty("outputShape").EnumerateArray().Select(d => d.GetInt32()));
    }

    [Fact]
    public async Task Validating_a_script_with_a_compile_error_reports_it_with_its_position()
    {
        using var response = await http.PostAsJsonAsync("/api/models/validate", new { code = ModelScripts.OnLineTwo("var x = ;") });

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(body.GetProperty("ok").GetBoolean());
        Assert.Equal("compilation", body.GetProperty("failure").GetString());
        var diagnostic = body.GetProperty("diagnostics").EnumerateArray().First(d => d.GetProperty("severity").GetString() == "error");
        Assert.Equal(2, diagnostic.GetProperty("line").GetInt32());
        Assert.True(diagnostic.GetProperty("column").GetInt32() > 1);
    }

    [Fact]
    public async Task Creating_a_model_whose_script_does_not_compile_answers_400_with_line_and_column_and_saves_nothing()
    {
        var name = Builders.UniqueName("broken");

        using var response = await http.PostAsJsonAsync("/api/models", new { name, code = ModelScripts.OnLineTwo("var x = ;") });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("code")[0].GetString();
        Assert.Matches(@"^line 2, column \d+: ", message);
        Assert.Equal(2, problem.GetProperty("diagnostics")[0].GetProperty("line").GetInt32());
        var models = await http.GetFromJsonAsync<JsonElement>("/api/models");
        Assert.DoesNotContain(name, models.EnumerateArray().Select(m => m.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Creating_a_model_whose_script_throws_while_building_answers_400_from_the_child_process()
    {
        using var response = await http.PostAsJsonAsync("/api/models",
            new { name = Builders.UniqueName("throws"), code = ModelScripts.OnLineTwo("""throw new ArgumentException("hidden size must be even");""") });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("code")[0].GetString();
        Assert.StartsWith("Building the model failed", message);
        Assert.Contains("hidden size must be even", message);
    }
}
