using Microsoft.AspNetCore.Http.HttpResults;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Apis;

/// <summary>Deployments' semi-supervised group: defaults, field rules, what GET returns and what the training job's spec carries.</summary>
public sealed class SemiSupervisedDeploymentSpecs : DeploymentSettingsSpecBase
{
    private static DeploymentRequest ASemiSupervisedRequest(int configurationId) =>
        ADeploymentRequest(configurationId) with { SemiSupervised = true };

    [Fact]
    public async Task A_semi_supervised_deployment_takes_five_rounds_and_confidence_0_9_and_get_returns_them_in_camel_case()
    {
        var created = await CreatedAsync(ASemiSupervisedRequest(await SeedConfigurationAsync()));

        var deployment = await GetAsync(created.Id);

        Assert.Equal((true, 5, 0.9), (deployment.SemiSupervised, deployment.UnsupervisedRounds, deployment.Confidence));
        var json = JsonSerializer.SerializeToElement(deployment, JsonSerializerOptions.Web);
        Assert.True(json.GetProperty("semiSupervised").GetBoolean());
        Assert.Equal(5, json.GetProperty("unsupervisedRounds").GetInt32());
        Assert.Equal(0.9, json.GetProperty("confidence").GetDouble());
    }

    [Fact]
    public async Task A_supervised_deployment_has_no_semi_supervised_settings_and_its_spec_none()
    {
        var created = await CreatedAsync(ADeploymentRequest(await SeedConfigurationAsync()));

        var deployment = await GetAsync(created.Id);

        Assert.Equal((false, null, null), (deployment.SemiSupervised, deployment.UnsupervisedRounds, deployment.Confidence));
        Assert.Null((await SpecAsync(created)).SemiSupervised);
    }

    [Fact]
    public async Task Given_settings_are_stored_and_the_training_jobs_spec_carries_them()
    {
        var created = await CreatedAsync(ASemiSupervisedRequest(await SeedConfigurationAsync()) with { UnsupervisedRounds = 3, Confidence = 1 });

        var spec = await SpecAsync(created);

        Assert.Equal(new SemiSupervisedSettings(3, 1), spec.SemiSupervised);
        var wire = JsonSerializer.SerializeToElement(spec, JsonSerializerOptions.Web).GetProperty("semiSupervised");
        Assert.Equal((3, 1.0), (wire.GetProperty("unsupervisedRounds").GetInt32(), wire.GetProperty("confidence").GetDouble()));
    }

    [Fact]
    public async Task Semi_supervised_works_with_an_incremental_deployment_and_its_spec_carries_both()
    {
        var created = await CreatedAsync(ASemiSupervisedRequest(await SeedConfigurationAsync()) with { Incremental = true, Confidence = 0.8 });

        var spec = await SpecAsync(created);

        Assert.NotNull(spec.Incremental);
        Assert.Equal(new SemiSupervisedSettings(5, 0.8), spec.SemiSupervised);
    }

    [Theory]
    [InlineData(0.0, "confidence must be above 0 and at most 1 (it was 0).")]
    [InlineData(1.5, "confidence must be above 0 and at most 1 (it was 1.5).")]
    public async Task A_confidence_outside_0_to_1_is_refused_beside_its_field(double confidence, string message)
    {
        var result = await CreateAsync(ASemiSupervisedRequest(await SeedConfigurationAsync()) with { Confidence = confidence });

        Assert.Equal([message], ApiAssert.ValidationProblem(result, "confidence"));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task Zero_rounds_are_refused_beside_the_field()
    {
        var result = await CreateAsync(ASemiSupervisedRequest(await SeedConfigurationAsync()) with { UnsupervisedRounds = 0 });

        Assert.Equal(["unsupervisedRounds must be at least 1 (it was 0)."], ApiAssert.ValidationProblem(result, "unsupervisedRounds"));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task Rounds_and_confidence_without_semi_supervised_are_refused_field_by_field()
    {
        var result = await CreateAsync(ADeploymentRequest(await SeedConfigurationAsync()) with { UnsupervisedRounds = 3, Confidence = 0.8 });

        Assert.Contains("applies to semi-supervised deployments only", Assert.Single(ApiAssert.ValidationProblem(result, "unsupervisedRounds")));
        Assert.Contains("applies to semi-supervised deployments only", Assert.Single(ApiAssert.ValidationProblem(result, "confidence")));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task The_deploy_forms_check_gives_the_same_field_messages()
    {
        var errors = DeploymentService.Check(ASemiSupervisedRequest(1) with { Confidence = 0, UnsupervisedRounds = 0 });

        Assert.Equal(["confidence must be above 0 and at most 1 (it was 0)."], errors["confidence"]);
        Assert.Equal(["unsupervisedRounds must be at least 1 (it was 0)."], errors["unsupervisedRounds"]);
    }

    private async Task AssertNothingDeployedAsync()
    {
        await using var db = Harness.CreateContext();
        Assert.False(await db.Deployments.AnyAsync());
    }
}
