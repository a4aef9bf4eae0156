using Microsoft.AspNetCore.Http.HttpResults;
using KafkaMl.Tests.Apis;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Federated;

/// <summary>Deployments' federated group: defaults, field rules, what GET returns and what the training job's spec carries.</summary>
public sealed class FederatedDeploymentSpecs : DeploymentSettingsSpecBase
{
    private static DeploymentRequest AFederatedRequest(int configurationId) => ADeploymentRequest(configurationId) with { Federated = true };

    [Fact]
    public async Task A_federated_deployment_takes_the_issues_defaults_and_get_returns_them_in_camel_case()
    {
        var created = await CreatedAsync(AFederatedRequest(await SeedConfigurationAsync()));

        var json = JsonSerializer.SerializeToElement(created, JsonSerializerOptions.Web);

        Assert.True(json.GetProperty("federated").GetBoolean());
        var settings = json.GetProperty("federatedSettings");
        Assert.Equal((15, 2, 1000L, "fedavg"), (settings.GetProperty("rounds").GetInt32(), settings.GetProperty("minSites").GetInt32(),
            settings.GetProperty("minData").GetInt64(), settings.GetProperty("aggregation").GetString()));
        Assert.Equal(JsonValueKind.Object, settings.GetProperty("dataRestriction").ValueKind);
        Assert.Empty(settings.GetProperty("dataRestriction").EnumerateObject());
    }

    [Fact]
    public async Task Given_settings_are_stored_and_the_training_jobs_spec_carries_them()
    {
        var created = await CreatedAsync(AFederatedRequest(await SeedConfigurationAsync()) with
        {
            Rounds = 4, MinSites = 3, RoundTimeoutS = 30, MinData = 10, DataRestriction = JsonNode.Parse("""{"source": "clinic"}"""),
            Aggregation = "fedprox", Mu = 0.5, ClipNorm = 2, NoiseMultiplier = 0.1,
        });

        var spec = await SpecAsync(created);

        Assert.Equal(new FederatedSettings(4, 3, 30, 10, """{"source":"clinic"}""", Aggregation.FedProx, 0.5, null, 2, 0.1), spec.Federated);
    }

    [Fact]
    public async Task FedAdam_takes_its_server_learning_rate_default()
    {
        var created = await CreatedAsync(AFederatedRequest(await SeedConfigurationAsync()) with { Aggregation = "fedadam" });

        Assert.Equal(FederatedSettings.DefaultServerLearningRate, (await SpecAsync(created)).Federated!.ServerLearningRate);
    }

    [Theory]
    [InlineData("[1, 2]", "got an array")]
    [InlineData("\"{\\\"source\\\": 1}\"", "got the string")]
    [InlineData("42", "got a number")]
    public async Task A_data_restriction_that_is_not_a_JSON_object_is_refused_beside_its_field(string json, string got)
    {
        var result = await CreateAsync(AFederatedRequest(await SeedConfigurationAsync()) with { DataRestriction = JsonNode.Parse(json) });

        var message = Assert.Single(ApiAssert.ValidationProblem(result, "dataRestriction"));
        Assert.StartsWith("dataRestriction must be a JSON object", message);
        Assert.Contains(got, message);
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task Federated_settings_without_federated_are_refused_field_by_field()
    {
        var result = await CreateAsync(ADeploymentRequest(await SeedConfigurationAsync()) with { Rounds = 3, MinData = 5 });

        Assert.Contains("applies to federated deployments only", Assert.Single(ApiAssert.ValidationProblem(result, "rounds")));
        Assert.Contains("applies to federated deployments only", Assert.Single(ApiAssert.ValidationProblem(result, "minData")));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public void The_deploy_forms_check_gives_the_same_field_messages()
    {
        var errors = DeploymentService.Check(AFederatedRequest(1) with
        {
            Rounds = 0, MinSites = 0, Aggregation = "fedsgd", NoiseMultiplier = 1, Mu = 0.1, Incremental = true,
        });

        Assert.Equal(["rounds must be at least 1 (it was 0)."], errors["rounds"]);
        Assert.Equal(["minSites must be at least 1 (it was 0)."], errors["minSites"]);
        Assert.Equal(["'fedsgd' is not an aggregation; use one of fedavg, fedprox, fedadam."], errors["aggregation"]);
        Assert.Equal(["noiseMultiplier needs clipNorm: the noise's deviation is noiseMultiplier × clipNorm."], errors["noiseMultiplier"]);
        Assert.Contains("fedprox only", Assert.Single(errors["mu"]));
        Assert.Contains("cannot also be incremental", Assert.Single(errors["federated"]));
    }

    private async Task AssertNothingDeployedAsync()
    {
        await using var db = Harness.CreateContext();
        Assert.False(await db.Deployments.AnyAsync());
    }
}
