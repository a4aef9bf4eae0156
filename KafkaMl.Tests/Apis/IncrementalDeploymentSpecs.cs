using Microsoft.AspNetCore.Http.HttpResults;
using static KafkaMl.Tests.Support.OrchestrationBuilders;

namespace KafkaMl.Tests.Apis;

/// <summary>Deployments' incremental group: defaults, field rules, what GET returns and what the training job's spec carries.</summary>
public sealed class IncrementalDeploymentSpecs : DeploymentSettingsSpecBase
{
    private static DeploymentRequest AnIncrementalRequest(int configurationId, IReadOnlyList<string>? metrics = null) =>
        ADeploymentRequest(configurationId, metrics: metrics) with { Incremental = true };

    [Fact]
    public async Task An_incremental_deployment_takes_the_defaults_and_get_returns_them_in_camel_case()
    {
        var created = await CreatedAsync(AnIncrementalRequest(await SeedConfigurationAsync()));

        var deployment = await GetAsync(created.Id);

        Assert.True(deployment.Incremental);
        Assert.Equal((60_000, false, "val_loss", MetricChange.Down, 0.05, 256, 1),
            (deployment.StreamTimeoutMs, deployment.Indefinite, deployment.MonitoringMetric, deployment.Change, deployment.Improvement, deployment.WindowSize, deployment.EpochsPerWindow));
        var json = JsonSerializer.SerializeToElement(deployment, JsonSerializerOptions.Web);
        Assert.Equal("down", json.GetProperty("change").GetString());
        foreach (var field in new[] { "incremental", "streamTimeoutMs", "indefinite", "monitoringMetric", "improvement", "windowSize", "epochsPerWindow" })
            Assert.True(json.TryGetProperty(field, out _), field);
    }

    [Fact]
    public async Task A_bounded_deployment_is_not_incremental_and_has_no_incremental_settings()
    {
        var deployment = await GetAsync((await CreatedAsync(ADeploymentRequest(await SeedConfigurationAsync()))).Id);

        Assert.False(deployment.Incremental);
        Assert.Equal((null, null, null), (deployment.StreamTimeoutMs, deployment.MonitoringMetric, deployment.WindowSize));
    }

    [Fact]
    public async Task Given_settings_are_stored_and_the_training_jobs_spec_carries_them()
    {
        var request = AnIncrementalRequest(await SeedConfigurationAsync()) with
        {
            StreamTimeoutMs = 2_000, Indefinite = true, MonitoringMetric = "VAL_ACC", Change = "up", Improvement = 0.01, WindowSize = 64, EpochsPerWindow = 3,
        };
        var created = await CreatedAsync(request);
        await using var db = Harness.CreateContext();

        var spec = Assert.IsType<Ok<TrainingJobSpec>>((await TrainingJobsApi.GetSpec(created.Results.Single().Id, db, Ct)).Result).Value!;

        Assert.Equal(new IncrementalSettings(2_000, true, "val_accuracy", MetricChange.Up, 0.01, 64, 3), spec.Incremental);
        var wire = JsonSerializer.SerializeToElement(spec, JsonSerializerOptions.Web).GetProperty("incremental");
        Assert.Equal(("val_accuracy", "up", 64), (wire.GetProperty("monitoringMetric").GetString(), wire.GetProperty("change").GetString(), wire.GetProperty("windowSize").GetInt32()));
    }

    [Fact]
    public async Task A_bounded_deployments_spec_has_no_incremental_settings()
    {
        var created = await CreatedAsync(ADeploymentRequest(await SeedConfigurationAsync()));
        await using var db = Harness.CreateContext();

        var spec = Assert.IsType<Ok<TrainingJobSpec>>((await TrainingJobsApi.GetSpec(created.Results.Single().Id, db, Ct)).Result).Value!;

        Assert.Null(spec.Incremental);
    }

    [Fact]
    public async Task Monitoring_accuracy_improves_up_unless_the_change_is_given()
    {
        var configurationId = await SeedConfigurationAsync();

        var byMetric = await CreatedAsync(AnIncrementalRequest(configurationId) with { MonitoringMetric = "accuracy" });
        var given = await CreatedAsync(AnIncrementalRequest(configurationId) with { MonitoringMetric = "val_accuracy", Change = "DOWN" });

        Assert.Equal(("accuracy", MetricChange.Up), (byMetric.MonitoringMetric, byMetric.Change));
        Assert.Equal(MetricChange.Down, given.Change);
    }

    [Fact]
    public async Task An_incremental_deployment_needs_no_epochs_they_are_the_epochs_per_window()
    {
        var created = await CreatedAsync(AnIncrementalRequest(await SeedConfigurationAsync()) with { Epochs = null, EpochsPerWindow = 2 });

        Assert.Equal(2, created.Epochs);
    }

    [Theory]
    [InlineData("val_mse", "This deployment does not compute 'val_mse' (add mse to its metrics); it computes val_loss, loss, val_accuracy, accuracy.")]
    [InlineData("f1", "Unknown monitoring metric 'f1'; this deployment computes val_loss, loss, val_accuracy, accuracy.")]
    public async Task A_monitoring_metric_the_deployment_does_not_compute_is_refused_beside_the_field(string metric, string message)
    {
        var result = await CreateAsync(AnIncrementalRequest(await SeedConfigurationAsync()) with { MonitoringMetric = metric });

        Assert.Equal([message], ApiAssert.ValidationProblem(result, "monitoringMetric"));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task A_validation_metric_is_refused_when_the_deployment_validates_on_nothing()
    {
        var result = await CreateAsync(AnIncrementalRequest(await SeedConfigurationAsync()) with { ValidationRate = 0 });

        Assert.Contains("the validation rate is 0", Assert.Single(ApiAssert.ValidationProblem(result, "monitoringMetric")));
    }

    [Theory]
    [InlineData("streamTimeoutMs", "The stream timeout must be 100 ms to 86400000 ms (24 h) (99 given).")]
    [InlineData("windowSize", "The window size must be 1 to 1000000 samples (0 given).")]
    [InlineData("epochsPerWindow", "The epochs per window must be 1 to 1000 (1001 given).")]
    [InlineData("improvement", "The improvement is the smallest change of the monitored metric that publishes a version: a number of 0 or more (-0.1 given).")]
    [InlineData("change", "Unknown change 'sideways'; use up (higher is better) or down (lower is better).")]
    public async Task A_setting_out_of_range_is_refused_beside_its_field(string field, string message)
    {
        var request = AnIncrementalRequest(await SeedConfigurationAsync()) with
        {
            StreamTimeoutMs = field == "streamTimeoutMs" ? 99 : null,
            WindowSize = field == "windowSize" ? 0 : null,
            EpochsPerWindow = field == "epochsPerWindow" ? 1001 : null,
            Improvement = field == "improvement" ? -0.1 : null,
            Change = field == "change" ? "sideways" : null,
        };

        var result = await CreateAsync(request);

        Assert.Equal([message], ApiAssert.ValidationProblem(result, field));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task Incremental_settings_without_incremental_are_refused_field_by_field()
    {
        var result = await CreateAsync(ADeploymentRequest(await SeedConfigurationAsync()) with { WindowSize = 64, Indefinite = true });

        Assert.Contains("applies to incremental deployments only", Assert.Single(ApiAssert.ValidationProblem(result, "windowSize")));
        ApiAssert.ValidationProblem(result, "indefinite");
    }

    [Fact]
    public async Task Early_stopping_is_refused_for_an_incremental_deployment()
    {
        var result = await CreateAsync(AnIncrementalRequest(await SeedConfigurationAsync()) with { EarlyStopping = new EarlyStoppingRequest(3) });

        ApiAssert.ValidationProblem(result, "earlyStopping");
    }

    private async Task AssertNothingDeployedAsync()
    {
        await using var db = Harness.CreateContext();
        Assert.False(await db.Deployments.AnyAsync());
    }
}
