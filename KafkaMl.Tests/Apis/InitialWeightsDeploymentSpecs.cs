using KafkaMl.Core.Jobs;
using KafkaMl.Tests.PyTorch;
using Microsoft.AspNetCore.Http.HttpResults;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Apis;

/// <summary><c>initialWeightsResultId</c> on deployment create: checked like the other settings, then handed to the jobs.</summary>
public sealed class InitialWeightsDeploymentSpecs : HarnessSpecBase
{
    private const string Field = DeploymentService.InitialWeightsField;

    private async Task<Outcome<DeploymentResponse>> DeployAsync(int configurationId, int initialWeightsResultId)
    {
        await using var db = Harness.CreateContext();
        var deployments = new DeploymentService(new ContextsLike(db), Harness.Orchestrator, Harness.Notifier, InProcessBuildChecker.Validator);
        return await deployments.CreateAsync(ADeploymentRequest(configurationId) with { InitialWeightsResultId = initialWeightsResultId }, Ct);
    }

    [Fact]
    public async Task A_deployment_of_the_imported_model_starts_its_jobs_from_the_imported_weights()
    {
        var (modelId, imported) = await PyTorchFixtures.ImportFixtureAsync(Harness);
        var configuration = await Harness.Database.SeedConfigurationAsync(modelId);

        var deployment = (await DeployAsync(configuration.Id, imported)).Value!;

        Assert.Equal(imported, deployment.InitialWeightsResultId);
        var job = Assert.Single(deployment.Results).Id;
        await using var db = Harness.CreateContext();
        var spec = Assert.IsType<Ok<TrainingJobSpec>>((await TrainingJobsApi.GetSpec(job, db, Ct)).Result).Value!;
        Assert.Equal(imported, spec.InitialWeightsResultId);
        var weights = Assert.IsType<PhysicalFileHttpResult>((await TrainingJobsApi.GetInitialWeights(job, db, Harness.KafkaMlOptions, Ct)).Result);
        Assert.Equal(Path.Combine(Harness.Orchestrator.ResultDirectory(imported), ResultFiles.Weights), weights.FileName);
    }

    [Fact]
    public async Task Another_script_building_the_same_tensors_may_start_from_them()
    {
        var (_, imported) = await PyTorchFixtures.ImportFixtureAsync(Harness);
        var tanh = await PyTorchFixtures.SeedModelAsync(Harness, "Sequential(Linear(6, 8), Tanh(), Linear(8, 3))");
        var configuration = await Harness.Database.SeedConfigurationAsync(tanh);

        var outcome = await DeployAsync(configuration.Id, imported);

        Assert.Equal(imported, outcome.Value!.InitialWeightsResultId);
    }

    [Fact]
    public async Task A_model_whose_tensors_differ_is_refused_naming_each_tensor()
    {
        var (modelId, imported) = await PyTorchFixtures.ImportFixtureAsync(Harness);
        var wider = await PyTorchFixtures.SeedModelAsync(Harness, "Sequential(Linear(6, 16), ReLU(), Linear(16, 3))");
        var configuration = await Harness.Database.SeedConfigurationAsync(modelId, wider);

        var outcome = await DeployAsync(configuration.Id, imported);

        var errors = outcome.Failure!.Errors[Field];
        Assert.Equal(3, errors.Length); // 0.weight, 0.bias and 2.weight; 2.bias [3] fits
        Assert.Contains(errors, e => e.Contains("'0.weight': wrong shape: [8, 6] in the file, [16, 6] in the model", StringComparison.Ordinal));
        await using var db = Harness.CreateContext();
        Assert.Empty(db.Deployments.Where(d => d.ConfigurationId == configuration.Id));
    }

    [Fact]
    public async Task An_unknown_result_is_refused_beside_the_field()
    {
        var (modelId, _) = await PyTorchFixtures.ImportFixtureAsync(Harness);
        var configuration = await Harness.Database.SeedConfigurationAsync(modelId);

        var outcome = await DeployAsync(configuration.Id, 999);

        Assert.Equal(["Result 999 does not exist."], outcome.Failure!.Errors[Field]);
    }

    [Fact]
    public async Task A_result_still_training_is_refused_beside_the_field()
    {
        var training = await Harness.SeedResultAsync(TrainingStatus.Training);
        var (modelId, _) = await PyTorchFixtures.ImportFixtureAsync(Harness);
        var configuration = await Harness.Database.SeedConfigurationAsync(modelId);

        var outcome = await DeployAsync(configuration.Id, training);

        Assert.Equal([$"Result {training} is training; a deployment starts from the weights of a finished result."], outcome.Failure!.Errors[Field]);
    }
}
