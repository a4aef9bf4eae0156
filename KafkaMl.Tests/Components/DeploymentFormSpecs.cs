using Bunit;
using KafkaMl.Web.Components.Pages.Deployments;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Tests.Components;

/// <summary>The deploy form: the API's rules (shared, not copied) beside each field; an invalid form never creates a deployment.</summary>
public sealed class DeploymentFormSpecs : PortalComponentContext
{
    [Theory]
    [InlineData("deployment-batch-size", "0", "The batch size must be at least 1 (0 given).")]
    [InlineData("deployment-epochs", "0", "The number of epochs must be 1 to 10000 (0 given).")]
    [InlineData("deployment-epochs", "10001", "The number of epochs must be 1 to 10000 (10001 given).")]
    [InlineData("deployment-learning-rate", "-1", "The learning rate must be a number above 0 (-1 given).")]
    [InlineData("deployment-validation-rate", "1.5", "A rate is a fraction from 0 up to (not including) 1 (1.5 given).")]
    public async Task A_bad_value_gets_its_message_beside_the_field_and_nothing_is_deployed(string field, string value, string message)
    {
        var page = await OpenFormAsync();

        page.Fill(field, value);
        page.Click("deployment-submit");

        page.WaitForAssertion(() => Assert.Equal(message, page.FieldError(field)));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task Rates_that_leave_nothing_to_train_on_are_refused_beside_the_test_rate()
    {
        var page = await OpenFormAsync();

        page.Fill("deployment-validation-rate", "0.5");
        page.Fill("deployment-test-rate", "0.5");
        page.Click("deployment-submit");

        page.WaitForAssertion(() => Assert.Contains("must leave samples to train on", page.FieldError("deployment-test-rate")));
        Assert.Equal("", page.FieldError("deployment-validation-rate"));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task The_incremental_settings_show_only_while_incremental_is_ticked()
    {
        var page = await OpenFormAsync();
        Assert.Empty(page.FindAll("[data-testid=deployment-incremental-settings]"));

        page.Input("deployment-incremental").Change(true);

        page.WaitForAssertion(() => Assert.Equal("256", page.Input("deployment-window-size").GetAttribute("value")));
        Assert.Equal("60000", page.Input("deployment-stream-timeout").GetAttribute("value"));
        Assert.Equal(["val_loss", "loss", "val_accuracy", "accuracy"],
            page.Input("deployment-monitoring-metric").QuerySelectorAll("option").Select(o => o.GetAttribute("value")));

        page.Input("deployment-incremental").Change(false);

        page.WaitForAssertion(() => Assert.Empty(page.FindAll("[data-testid=deployment-incremental-settings]")));
    }

    [Fact]
    public async Task A_bad_window_size_gets_the_apis_message_beside_the_field_and_nothing_is_deployed()
    {
        var page = await OpenFormAsync();
        page.Input("deployment-incremental").Change(true);

        page.Fill("deployment-window-size", "0");
        page.Click("deployment-submit");

        page.WaitForAssertion(() => Assert.Equal("The window size must be 1 to 1000000 samples (0 given).", page.FieldError("deployment-window-size")));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task A_ticked_incremental_deployment_is_stored_with_its_settings()
    {
        var page = await OpenFormAsync();
        page.Input("deployment-incremental").Change(true);
        page.Input("deployment-indefinite").Change(true);
        page.Input("deployment-monitoring-metric").Change("val_accuracy");
        page.Fill("deployment-window-size", "64");

        page.Click("deployment-submit");

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Matches(@"/deployments/\d+$", navigation.Uri));
        await using var db = Training.CreateContext();
        var settings = (await db.Deployments.SingleAsync()).Incremental;
        Assert.Equal(new IncrementalSettings(60_000, true, "val_accuracy", MetricChange.Up, 0.05, 64, 1), settings);
    }

    [Fact]
    public async Task Without_a_configuration_the_choice_says_so_and_nothing_is_deployed()
    {
        var page = await OpenFormAsync();

        page.Input("deployment-configuration").Change("");
        page.Click("deployment-submit");

        page.WaitForAssertion(() => Assert.Contains("A configuration to deploy is required.", page.Markup));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task The_defaults_deploy_the_newest_configuration_and_open_the_deployment_page()
    {
        await Training.Database.SeedConfigurationAsync((await Training.Database.SeedModelAsync()).Id);
        var newest = await Training.Database.SeedConfigurationAsync((await Training.Database.SeedModelAsync()).Id);
        var page = RenderWithProviders<DeploymentNewPage>();
        page.WaitForAssertion(() => Assert.Equal(newest.Id.ToString(), page.Input("deployment-configuration").GetAttribute("value")));

        page.Click("deployment-submit");

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Matches(@"/deployments/\d+$", navigation.Uri));
        await using var db = Training.CreateContext();
        var deployment = await db.Deployments.Include(d => d.Results).SingleAsync();
        Assert.EndsWith($"/deployments/{deployment.Id}", navigation.Uri);
        Assert.Equal((newest.Id, 10, 50, 0.01, Optimizer.Adam, Loss.CrossEntropy),
            (deployment.ConfigurationId, deployment.BatchSize, deployment.Epochs, deployment.LearningRate, deployment.Optimizer, deployment.Loss));
        Assert.Equal(["accuracy"], deployment.Metrics);
        Assert.Single(deployment.Results);
        Assert.Single(Training.Jobs.FirstArgumentsOf<KafkaMl.Web.Jobs.StartWorkloadJob>());
    }

    [Fact]
    public async Task The_deployment_page_shows_the_data_topic_the_send_command_and_a_link_per_result()
    {
        var (deploymentId, results) = await SeedDeploymentAsync(models: 2, TrainingStatus.Deployed);

        var page = RenderWithProviders<DeploymentDetailPage>(("Id", deploymentId));

        page.WaitForAssertion(() => Assert.Equal($"kafkaml-data-{deploymentId}", page.Text("deployment-data-topic")));
        Assert.Contains($"send data.csv --deployment {deploymentId}", page.Text("deployment-send-command"));
        Assert.Contains($"--bootstrap-servers {Training.Kafka.BootstrapServers}", page.Text("deployment-send-command"));
        Assert.Contains($"deployment_id={deploymentId}", page.Text("deployment-python-snippet"));
        Assert.All(results, id => Assert.Equal($"results/{id}", page.Find($"[data-testid=result-link-{id}]").GetAttribute("href")));
        Assert.NotNull(page.Find("[data-testid=csv-upload-file]"));
    }

    [Fact]
    public async Task The_deployment_page_shows_an_incremental_deployments_settings()
    {
        var configuration = await Training.Database.SeedConfigurationAsync((await Training.Database.SeedModelAsync()).Id);
        var request = OrchestrationBuilders.ADeploymentRequest(configuration.Id) with { Incremental = true, Indefinite = true, MonitoringMetric = "val_accuracy", WindowSize = 64 };
        var deploymentId = (await Services.GetRequiredService<DeploymentService>().CreateAsync(request, Ct)).Value!.Id;

        var page = RenderWithProviders<DeploymentDetailPage>(("Id", deploymentId));

        page.WaitForAssertion(() => Assert.Equal(
            "until stopped: windows of 64 samples × 1 epoch(s); a new version when val_accuracy goes up by 0.05 or more",
            page.Find("[data-testid=deployment-incremental] td:last-child").TextContent.Trim()));
    }

    [Fact]
    public async Task A_bad_confidence_gets_the_apis_message_beside_the_field_and_nothing_is_deployed()
    {
        var page = await OpenFormAsync();
        Assert.Empty(page.FindAll("[data-testid=deployment-semi-supervised-settings]"));
        page.Input("deployment-semi-supervised").Change(true);
        page.WaitForAssertion(() => Assert.Equal("5", page.Input("deployment-unsupervised-rounds").GetAttribute("value")));

        page.Fill("deployment-confidence", "1.5");
        page.Click("deployment-submit");

        page.WaitForAssertion(() => Assert.Equal("confidence must be above 0 and at most 1 (it was 1.5).", page.FieldError("deployment-confidence")));
        await AssertNothingDeployedAsync();
    }

    [Fact]
    public async Task A_ticked_semi_supervised_deployment_is_stored_with_its_settings()
    {
        var page = await OpenFormAsync();
        page.Input("deployment-semi-supervised").Change(true);
        page.Fill("deployment-unsupervised-rounds", "3");

        page.Click("deployment-submit");

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.Matches(@"/deployments/\d+$", navigation.Uri));
        await using var db = Training.CreateContext();
        Assert.Equal(new SemiSupervisedSettings(3, 0.9), (await db.Deployments.SingleAsync()).SemiSupervised);
    }

    [Fact]
    public async Task The_deployment_page_shows_a_semi_supervised_deployments_settings()
    {
        var configuration = await Training.Database.SeedConfigurationAsync((await Training.Database.SeedModelAsync()).Id);
        var request = OrchestrationBuilders.ADeploymentRequest(configuration.Id) with { SemiSupervised = true, UnsupervisedRounds = 3 };
        var deploymentId = (await Services.GetRequiredService<DeploymentService>().CreateAsync(request, Ct)).Value!.Id;

        var page = RenderWithProviders<DeploymentDetailPage>(("Id", deploymentId));

        page.WaitForAssertion(() => Assert.Equal(
            "up to 3 pseudo-labelling round(s), taking predictions of confidence 0.9 or more",
            page.Find("[data-testid=deployment-semi-supervised] td:last-child").TextContent.Trim()));
        Assert.Contains(" --unlabelled unlabelled.csv", page.Find("[data-testid=deployment-send-command]").TextContent);
        Assert.Contains($"kafkaml-data-{deploymentId}-unlabelled", page.Text("deployment-send-unlabelled"));
    }

    private async Task<IRenderedComponent<IComponent>> OpenFormAsync()
    {
        var model = await Training.Database.SeedModelAsync();
        await Training.Database.SeedConfigurationAsync(model.Id);
        var page = RenderWithProviders<DeploymentNewPage>();
        page.WaitForElement("[data-testid=deployment-submit]");
        return page;
    }

    private async Task AssertNothingDeployedAsync()
    {
        await using var db = Training.CreateContext();
        Assert.Equal(0, await db.Deployments.CountAsync());
        Assert.Empty(Training.Jobs.FirstArgumentsOf<KafkaMl.Web.Jobs.StartWorkloadJob>());
    }
}
