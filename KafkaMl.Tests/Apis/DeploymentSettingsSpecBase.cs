using Microsoft.AspNetCore.Http.HttpResults;

namespace KafkaMl.Tests.Apis;

/// <summary>
/// Specs of a group of deployment settings (incremental, semi-supervised, federated) through the API's handlers over a
/// harness of their own: create, read back, and the spec the training job gets.
/// </summary>
public abstract class DeploymentSettingsSpecBase : HarnessSpecBase
{
    private DeploymentService Deployments(KafkaMlDbContext db) => new(new ContextsLike(db), Harness.Orchestrator, Harness.Notifier);

    protected async Task<int> SeedConfigurationAsync() =>
        (await Harness.Database.SeedConfigurationAsync((await Harness.Database.SeedModelAsync()).Id)).Id;

    protected async Task<IResult> CreateAsync(DeploymentRequest request)
    {
        await using var db = Harness.CreateContext();
        return (await DeploymentsApi.CreateDeployment(request, Deployments(db), Ct)).Result;
    }

    protected async Task<DeploymentResponse> CreatedAsync(DeploymentRequest request) =>
        Assert.IsType<Created<DeploymentResponse>>(await CreateAsync(request)).Value!;

    protected async Task<DeploymentResponse> GetAsync(int id)
    {
        await using var db = Harness.CreateContext();
        return Assert.IsType<Ok<DeploymentResponse>>((await DeploymentsApi.GetDeployment(id, Deployments(db), Ct)).Result).Value!;
    }

    protected async Task<TrainingJobSpec> SpecAsync(DeploymentResponse created)
    {
        await using var db = Harness.CreateContext();
        return Assert.IsType<Ok<TrainingJobSpec>>((await TrainingJobsApi.GetSpec(created.Results.Single().Id, db, Ct)).Result).Value!;
    }
}
