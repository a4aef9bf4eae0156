using KafkaMl.Web.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Apis;

public sealed class DeploymentsApiSpecs : HarnessSpecBase
{
    /// <summary>The service the handlers call, over contexts like <paramref name="db"/>.</summary>
    private DeploymentService Deployments(KafkaMlDbContext db) => new(new ContextsLike(db), Harness.Orchestrator, Harness.Notifier);

    private async Task<(int ConfigurationId, int[] ModelIds)> SeedConfigurationAsync(int models = 2)
    {
        var ids = new List<int>();
        for (var i = 0; i < models; i++) ids.Add((await Harness.Database.SeedModelAsync()).Id);
        var configuration = await Harness.Database.SeedConfigurationAsync([.. ids]);
        return (configuration.Id, [.. ids]);
    }

    private async Task<Results<Created<DeploymentResponse>, ValidationProblem>> CreateAsync(DeploymentRequest request)
    {
        await using var db = Harness.CreateContext();
        return await DeploymentsApi.CreateDeployment(request, Deployments(db), Ct);
    }

    [Fact]
    public async Task Deploying_a_configuration_creates_one_created_result_per_model_and_answers_201()
    {
        var (configurationId, modelIds) = await SeedConfigurationAsync(models: 2);

        var result = await CreateAsync(ADeploymentRequest(configurationId));

        var created = Assert.IsType<Created<DeploymentResponse>>(result.Result);
        var deployment = created.Value!;
        Assert.Equal($"/api/deployments/{deployment.Id}", created.Location);
        Assert.Equal(modelIds, deployment.Results.Select(r => r.ModelId));
        Assert.All(deployment.Results, r => Assert.Equal(TrainingStatus.Created, r.Status));
        await using var check = Harness.CreateContext();
        Assert.Equal(2, await check.TrainingResults.CountAsync(r => r.DeploymentId == deployment.Id));
    }

    [Fact]
    public async Task Deploying_enqueues_one_start_job_per_result_and_starts_nothing_itself()
    {
        var (configurationId, _) = await SeedConfigurationAsync(models: 3);

        var deployment = Assert.IsType<Created<DeploymentResponse>>((await CreateAsync(ADeploymentRequest(configurationId))).Result).Value!;

        Assert.Equal(deployment.Results.Select(r => (object?)r.Id), Harness.Jobs.FirstArgumentsOf<StartWorkloadJob>());
        Assert.Empty(Harness.Runner.Started);
    }

    [Fact]
    public async Task Deploying_accepts_the_metric_aliases_the_engine_knows_and_stores_their_canonical_names()
    {
        var (configurationId, _) = await SeedConfigurationAsync(models: 1);

        var result = await CreateAsync(ADeploymentRequest(configurationId, metrics: ["mean_absolute_error", "ACC", "mse", "mean_squared_error"]));

        Assert.Equal(["mae", "accuracy", "mse"], Assert.IsType<Created<DeploymentResponse>>(result.Result).Value!.Metrics);
    }

    [Fact]
    public async Task Deploying_keeps_the_settings_with_enum_names_in_any_case()
    {
        var (configurationId, _) = await SeedConfigurationAsync(models: 1);

        var result = await CreateAsync(ADeploymentRequest(configurationId, optimizer: "RMSprop", loss: "Binary_Cross_Entropy",
            metrics: ["Accuracy", "mae", "accuracy"], shuffle: false, earlyStopping: new EarlyStoppingRequest(3, 0.01),
            validationRate: 0.2, testRate: 0.1, seed: 7));

        var deployment = Assert.IsType<Created<DeploymentResponse>>(result.Result).Value!;
        Assert.Equal((Optimizer.RmsProp, Loss.BinaryCrossEntropy), (deployment.Optimizer, deployment.Loss));
        Assert.Equal(["accuracy", "mae"], deployment.Metrics);
        Assert.Equal(new EarlyStoppingResponse(3, 0.01), deployment.EarlyStopping);
        Assert.Equal((false, 0.2, 0.1, 7), (deployment.Shuffle, deployment.ValidationRate, deployment.TestRate, deployment.Seed));
    }

    [Fact]
    public async Task Deploying_snapshots_each_models_code_on_its_result()
    {
        var (configurationId, modelIds) = await SeedConfigurationAsync(models: 1);

        await CreateAsync(ADeploymentRequest(configurationId));

        await using var db = Harness.CreateContext();
        var model = await db.Models.SingleAsync(m => m.Id == modelIds[0]);
        Assert.Equal(model.Code, (await db.TrainingResults.SingleAsync()).ModelCode);
    }

    public static TheoryData<string, Func<int, DeploymentRequest>> InvalidRequests => new()
    {
        { "configurationId", _ => ADeploymentRequest(configurationId: null) },
        { "configurationId", _ => ADeploymentRequest(configurationId: 999) },
        { "batchSize", id => ADeploymentRequest(id, batchSize: 0) },
        { "batchSize", id => ADeploymentRequest(id, batchSize: null) },
        { "epochs", id => ADeploymentRequest(id, epochs: 0) },
        { "epochs", id => ADeploymentRequest(id, epochs: 10_001) },
        { "learningRate", id => ADeploymentRequest(id, learningRate: 0) },
        { "learningRate", id => ADeploymentRequest(id, learningRate: -0.1) },
        { "optimizer", id => ADeploymentRequest(id, optimizer: "adagrad") },
        { "loss", id => ADeploymentRequest(id, loss: "hinge") },
        { "metrics", id => ADeploymentRequest(id, metrics: ["accuracy", "f1"]) },
        { "earlyStopping.patience", id => ADeploymentRequest(id, earlyStopping: new EarlyStoppingRequest(0)) },
        { "earlyStopping.minDelta", id => ADeploymentRequest(id, earlyStopping: new EarlyStoppingRequest(2, -1)) },
        { "validationRate", id => ADeploymentRequest(id, validationRate: 1.0) },
        { "testRate", id => ADeploymentRequest(id, testRate: -0.1) },
        { "testRate", id => ADeploymentRequest(id, validationRate: 0.5, testRate: 0.5) },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task An_invalid_deployment_answers_400_on_the_field_and_creates_nothing(string field, Func<int, DeploymentRequest> request)
    {
        var (configurationId, _) = await SeedConfigurationAsync(models: 1);

        var result = await CreateAsync(request(configurationId));

        ApiAssert.ValidationProblem(result.Result, field);
        await using var check = Harness.CreateContext();
        Assert.False(await check.Deployments.AnyAsync());
        Assert.Empty(Harness.Jobs.Jobs);
    }

    [Fact]
    public async Task The_edges_of_the_ranges_are_accepted()
    {
        var (configurationId, _) = await SeedConfigurationAsync(models: 1);

        var result = await CreateAsync(ADeploymentRequest(configurationId, batchSize: 1, epochs: 10_000, learningRate: 1e-9,
            optimizer: "SGD", loss: "mae", metrics: [], validationRate: 0, testRate: 0.99));

        Assert.IsType<Created<DeploymentResponse>>(result.Result);
    }

    [Fact]
    public async Task Defaults_fill_the_optional_settings()
    {
        var (configurationId, _) = await SeedConfigurationAsync(models: 1);

        var result = await CreateAsync(new DeploymentRequest(configurationId, BatchSize: 16, Epochs: 3));

        var deployment = Assert.IsType<Created<DeploymentResponse>>(result.Result).Value!;
        Assert.Equal((0.001, Optimizer.Adam, Loss.CrossEntropy, true), (deployment.LearningRate, deployment.Optimizer, deployment.Loss, deployment.Shuffle));
        Assert.Empty(deployment.Metrics);
        Assert.Null(deployment.EarlyStopping);
    }

    [Fact]
    public async Task Several_problems_are_reported_field_by_field()
    {
        var result = await CreateAsync(new DeploymentRequest(null, 0, 0, Optimizer: "nope"));

        var problem = Assert.IsType<ValidationProblem>(result.Result);
        Assert.Equal(["batchSize", "configurationId", "epochs", "optimizer"], problem.ProblemDetails.Errors.Keys.Order());
    }

    [Fact]
    public async Task Getting_a_deployment_returns_its_settings_and_results_with_model_names()
    {
        var (configurationId, modelIds) = await SeedConfigurationAsync(models: 2);
        var deployment = await Harness.DeployAsync(configurationId);
        await using var db = Harness.CreateContext();

        var result = await DeploymentsApi.GetDeployment(deployment.Id, Deployments(db), Ct);

        var fetched = Assert.IsType<Ok<DeploymentResponse>>(result.Result).Value!;
        Assert.Equal(deployment.Id, fetched.Id);
        Assert.Equal(modelIds, fetched.Results.Select(r => r.ModelId));
        Assert.All(fetched.Results, r => Assert.StartsWith("model-", r.ModelName));
        Assert.False(string.IsNullOrEmpty(fetched.ConfigurationName));
    }

    [Fact]
    public async Task Listing_deployments_returns_the_newest_first()
    {
        var (configurationId, _) = await SeedConfigurationAsync(models: 1);
        var first = await Harness.DeployAsync(configurationId);
        var second = await Harness.DeployAsync(configurationId);
        await using var db = Harness.CreateContext();

        var result = await DeploymentsApi.ListDeployments(Deployments(db), Ct);

        Assert.Equal([second.Id, first.Id], result.Value!.Select(d => d.Id));
    }

    [Fact]
    public async Task Getting_an_unknown_deployment_answers_404()
    {
        await using var db = Harness.CreateContext();

        var result = await DeploymentsApi.GetDeployment(404, Deployments(db), Ct);

        Assert.IsType<NotFound<ProblemDetails>>(result.Result);
    }

    [Fact]
    public async Task Deleting_a_deployment_stops_its_unfinished_jobs_and_removes_it_with_its_results_and_files()
    {
        var (configurationId, _) = await SeedConfigurationAsync(models: 2);
        var deployment = await Harness.DeployAsync(configurationId);
        var (running, finished) = (deployment.Results[0].Id, deployment.Results[1].Id);
        await using (var seed = Harness.CreateContext())
        {
            await seed.TrainingResults.Where(r => r.Id == finished).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, TrainingStatus.Finished));
        }
        Directory.CreateDirectory(Harness.Orchestrator.ResultDirectory(finished));
        await using var db = Harness.CreateContext();

        var result = await DeploymentsApi.DeleteDeployment(deployment.Id, Deployments(db), Ct);

        Assert.IsType<NoContent>(result.Result);
        Assert.Equal([JobSpec.TrainingName(running)], Harness.Runner.Stopped);
        Assert.False(Directory.Exists(Harness.Orchestrator.ResultDirectory(finished)));
        await using var check = Harness.CreateContext();
        Assert.False(await check.Deployments.AnyAsync());
        Assert.False(await check.TrainingResults.AnyAsync());
    }

    [Fact]
    public async Task Deleting_a_deployment_whose_result_serves_an_inference_answers_409_and_keeps_everything()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Finished);
        await using (var seed = Harness.CreateContext())
        {
            seed.Inferences.Add(new Core.Domain.Inference { ResultId = resultId, InputFormat = "RAW", InputTopic = "in", OutputTopic = "out", StatusChanged = DateTimeOffset.UtcNow });
            await seed.SaveChangesAsync();
        }
        var deploymentId = (await Harness.ReadResultAsync(resultId)).DeploymentId;
        await using var db = Harness.CreateContext();

        var result = await DeploymentsApi.DeleteDeployment(deploymentId, Deployments(db), Ct);

        var conflict = Assert.IsType<Conflict<ProblemDetails>>(result.Result);
        Assert.Contains("inference", conflict.Value!.Detail);
        Assert.Empty(Harness.Runner.Stopped);
        await using var check = Harness.CreateContext();
        Assert.True(await check.Deployments.AnyAsync(d => d.Id == deploymentId));
    }

    [Fact]
    public async Task Deleting_a_deployment_whose_job_cannot_be_stopped_now_deletes_it_and_leaves_a_retrying_stop_job()
    {
        var resultId = await Harness.SeedResultAsync(TrainingStatus.Training);
        var deploymentId = (await Harness.ReadResultAsync(resultId)).DeploymentId;
        Harness.Runner.StopFailure = new InvalidOperationException("API server unreachable");
        await using var db = Harness.CreateContext();

        var result = await DeploymentsApi.DeleteDeployment(deploymentId, Deployments(db), Ct);

        Assert.IsType<NoContent>(result.Result);
        Assert.Equal([JobSpec.TrainingName(resultId)], Harness.Jobs.FirstArgumentsOf<StopWorkloadJob>());
    }
}
