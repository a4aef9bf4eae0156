using Bunit;
using KafkaMl.Web.Components.Pages.Results;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Tests.Components;

public sealed class ResultDetailPageSpecs : PortalComponentContext
{
    [Fact]
    public async Task A_reported_epoch_adds_a_point_to_both_lines_of_each_chart_in_place()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        await ReportEpochAsync(resultId, 1, loss: 0.7);
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => Assert.Equal("2", page.Chart("Loss").GetAttribute("data-points")));
        var charts = page.FindComponent<ResultCharts>().Instance;
        var lossChart = page.ChartComponent("Loss").Instance;

        await ReportEpochAsync(resultId, 2, loss: 0.4);

        page.WaitForAssertion(() => Assert.Equal("4", page.Chart("Loss").GetAttribute("data-points")));
        Assert.Equal("4", page.Chart("Accuracy").GetAttribute("data-points"));
        Assert.Same(charts, page.FindComponent<ResultCharts>().Instance);
        Assert.Same(lossChart, page.ChartComponent("Loss").Instance);
        var train = lossChart.Series.Single(s => s.Name == "train");
        Assert.Equal([1, 2], train.Epochs);
        Assert.Equal([0.7, 0.4], train.Values);
        Assert.Equal([0.8, 0.5], lossChart.Series.Single(s => s.Name == "validation").Values, new ToleranceComparer(1e-9));
    }

    [Fact]
    public async Task The_charts_of_the_deployments_metrics_are_drawn_before_the_first_epoch()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Deployed);

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Equal(["Loss", "Accuracy"], page.FindComponents<Web.Components.Shared.MetricChart>().Select(c => c.Instance.Title)));
        Assert.Equal("0", page.Chart("Loss").GetAttribute("data-points"));
        Assert.Contains("No epoch reported yet", page.Text("epoch-progress"));
    }

    [Fact]
    public async Task A_published_version_appears_in_the_versions_table_with_its_metrics_and_download_link()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForElement("[data-testid=versions-none]");

        await using (var db = Training.CreateContext())
        {
            var form = OrchestrationBuilders.AVersionForm(OrchestrationBuilders.AVersionReport(1, samplesSeen: 512, valAccuracy: 0.84), "weights");
            await TrainingJobsApi.PublishVersion(resultId, form, db, Training.Orchestrator, Training.Notifier, Ct);
        }

        page.WaitForAssertion(() => Assert.Equal($"api/results/{resultId}/versions/1/model", page.Find("[data-testid=version-download-1]").GetAttribute("href")));
        var cells = page.FindAll("[data-testid=versions] tr[data-version='1'] td").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["1", "512", "0.45", "0.84"], new[] { cells[0], cells[2], cells[3], cells[4] });
        Assert.Equal(["Version", "Published", "Samples seen", "Val. Loss", "Val. Accuracy", ""], page.FindAll("[data-testid=versions] th").Select(h => h.TextContent.Trim()));
    }

    [Fact]
    public async Task An_incremental_runs_windows_are_drawn_over_the_samples_seen_with_a_mark_where_a_version_was_published()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        await using (var db = Training.CreateContext())
        {
            foreach (var (window, seen, value) in new[] { (1, 256, 0.7), (2, 512, 0.5) })
            {
                var epoch = new EpochReportDto(window, new Dictionary<string, double> { ["loss"] = value, ["samples_seen"] = seen },
                    new Dictionary<string, double> { ["loss"] = value + 0.1 });
                await TrainingJobsApi.ReportEpoch(resultId, epoch, db, Training.Notifier, Ct);
            }
            var form = OrchestrationBuilders.AVersionForm(OrchestrationBuilders.AVersionReport(1, samplesSeen: 512, valAccuracy: 0.84), "weights");
            await TrainingJobsApi.PublishVersion(resultId, form, db, Training.Orchestrator, Training.Notifier, Ct);
        }

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Equal("5", page.Chart("Loss").GetAttribute("data-points")));
        var loss = page.ChartComponent("Loss").Instance;
        Assert.Equal("samples seen", loss.XTitle);
        Assert.Equal([256L, 512L], loss.Series.Single(s => s.Name == "train").Epochs);
        var mark = loss.Series.Single(s => s.Name == "version published");
        Assert.True(mark.MarksOnly);
        Assert.Equal([512L], mark.Epochs);
        Assert.Equal([0.6], mark.Values, new ToleranceComparer(1e-9));
    }

    [Fact]
    public async Task A_status_notification_changes_the_status_chip_and_shows_the_stream()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Deployed);
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => Assert.Equal("deployed", page.Text("result-status")));

        await ReportStatusAsync(resultId, "training", withData: true);

        page.WaitForAssertion(() => Assert.Equal("training", page.Text("result-status")));
        Assert.Contains("hcopd:0:0:120", page.Text("result-stream"));
        Assert.Contains("AVRO", page.Text("result-stream"));
    }

    [Fact]
    public async Task Stop_on_a_training_result_stops_its_job_and_shows_it_stopped()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => Assert.Equal("training", page.Text("result-status")));

        page.Find("[data-testid=stop-button]").Click();

        page.WaitForAssertion(() => Assert.Equal("stopped", page.Text("result-status")));
        Assert.Equal([JobSpec.TrainingName(resultId)], Training.Runner.Stopped);
        Assert.Equal(TrainingStatus.Stopped, (await Training.ReadResultAsync(resultId)).Status);
        Assert.Empty(page.FindAll("[data-testid=stop-button]"));
        Assert.Equal("Stopped on request.", page.Text("result-error"));
    }

    [Fact]
    public async Task Deleting_a_result_served_by_an_inference_shows_the_conflict_and_keeps_it()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Finished);
        int inferenceId;
        await using (var db = Training.CreateContext())
        {
            var inference = new Core.Domain.Inference { ResultId = resultId, InputFormat = "RAW", InputTopic = "in", OutputTopic = "out", StatusChanged = DateTimeOffset.UtcNow };
            db.Inferences.Add(inference);
            await db.SaveChangesAsync();
            inferenceId = inference.Id;
        }
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => page.Find("[data-testid=delete-button]"));

        page.Find("[data-testid=delete-button]").Click();
        ConfirmDialog(page, "Delete");

        page.WaitForAssertion(() => Assert.Contains($"served by inference(s) {inferenceId}", page.Text("action-error")));
        await using var check = Training.CreateContext();
        Assert.True(await check.TrainingResults.AnyAsync(r => r.Id == resultId));
    }

    [Fact]
    public async Task Deleting_a_result_after_confirming_removes_it_and_returns_to_the_list()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Failed);
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => page.Find("[data-testid=delete-button]"));

        page.Find("[data-testid=delete-button]").Click();
        ConfirmDialog(page, "Delete");

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.EndsWith("/results", navigation.Uri));
        await using var check = Training.CreateContext();
        Assert.False(await check.TrainingResults.AnyAsync(r => r.Id == resultId));
    }

    [Fact]
    public async Task Cancelling_the_delete_dialog_deletes_nothing()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Failed);
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => page.Find("[data-testid=delete-button]"));

        page.Find("[data-testid=delete-button]").Click();
        ConfirmDialog(page, "Cancel");

        page.WaitForAssertion(() => Assert.Empty(page.FindAll(".mud-dialog")));
        await using var check = Training.CreateContext();
        Assert.True(await check.TrainingResults.AnyAsync(r => r.Id == resultId));
    }

    [Fact]
    public async Task A_failed_result_shows_its_error_and_offers_no_stop_nor_download()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        await ReportStatusAsync(resultId, "failed", error: "The samples have shape [5] but the model expects [3].");

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Equal("The samples have shape [5] but the model expects [3].", page.Text("result-error")));
        Assert.Equal("failed", page.Text("result-status"));
        Assert.Empty(page.FindAll("[data-testid=stop-button]"));
        Assert.Empty(page.FindAll("[data-testid=download-button]"));
    }

    [Fact]
    public async Task A_finished_result_offers_its_model_and_shows_final_metrics_and_confusion_matrix()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Deployed);
        await ReportStatusAsync(resultId, "training", withData: true);
        await ReportEpochAsync(resultId, 1);
        await using (var db = Training.CreateContext())
            await Web.Apis.TrainingJobsApi.UploadResult(resultId, OrchestrationBuilders.AResultForm(), db, Training.Orchestrator, Training.Notifier, Ct);

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Equal($"api/results/{resultId}/model", page.Find("[data-testid=download-button]").GetAttribute("href")));
        Assert.Equal("finished", page.Text("result-status"));
        Assert.Contains("0.83", page.Find("[data-testid=final-metrics] tr[data-metric=accuracy]").TextContent);
        Assert.NotNull(page.Find("[data-testid=confusion-matrix]"));
    }

    [Fact]
    public async Task The_log_shows_the_tail_the_runner_keeps()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        Training.Runner.SetLog(JobSpec.TrainingName(resultId), "loading 239 samples\nepoch 1/5 loss 0.61");

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Equal("loading 239 samples\nepoch 1/5 loss 0.61", page.Text("log-text")));
    }

    [Fact]
    public async Task Refreshing_the_log_shows_what_the_job_wrote_since()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        Training.Runner.SetLog(JobSpec.TrainingName(resultId), "epoch 1/5");
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => Assert.Equal("epoch 1/5", page.Text("log-text")));
        Training.Runner.SetLog(JobSpec.TrainingName(resultId), "epoch 1/5\nepoch 2/5");

        page.Find("[data-testid=log-refresh]").Click();

        page.WaitForAssertion(() => Assert.Equal("epoch 1/5\nepoch 2/5", page.Text("log-text")));
    }

    [Fact]
    public async Task When_the_job_ends_its_last_log_lines_are_read_once_more()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);
        Training.Runner.SetLog(JobSpec.TrainingName(resultId), "epoch 5/5");
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => Assert.Equal("epoch 5/5", page.Text("log-text")));
        Training.Runner.SetLog(JobSpec.TrainingName(resultId), "epoch 5/5\nsamples do not fit the model");

        await ReportStatusAsync(resultId, "failed");

        page.WaitForAssertion(() => Assert.Equal("epoch 5/5\nsamples do not fit the model", page.Text("log-text")));
    }

    [Fact]
    public async Task A_job_whose_runner_keeps_no_log_says_so()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Training);

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Equal($"The fake runner keeps no log of result {resultId}'s training job.", page.Text("log-none")));
    }

    [Fact]
    public void A_result_that_does_not_exist_gets_a_readable_message()
    {
        var page = RenderWithProviders<ResultDetailPage>(("Id", 4242));

        page.WaitForAssertion(() => Assert.Equal("Result 4242 does not exist (it may have been deleted).", page.Text("result-missing")));
    }

    /// <summary>Clicks the button labelled <paramref name="label"/> of the open dialog.</summary>
    private static void ConfirmDialog(IRenderedComponent<IComponent> page, string label)
    {
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll(".mud-dialog button")));
        page.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == label).Click();
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public async Task The_epoch_count_follows_the_reports_and_a_finished_result_links_to_deploying_it_for_inference()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Deployed);
        await ReportStatusAsync(resultId, "training", withData: true);
        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));
        page.WaitForAssertion(() => Assert.Equal("0", page.Text("result-epoch-count")));
        Assert.Empty(page.FindAll("[data-testid=result-deploy-inference]"));

        await ReportEpochAsync(resultId, 1);
        await ReportEpochAsync(resultId, 2);
        page.WaitForAssertion(() => Assert.Equal("2", page.Text("result-epoch-count")));
        await using (var db = Training.CreateContext())
            await Web.Apis.TrainingJobsApi.UploadResult(resultId, OrchestrationBuilders.AResultForm(), db, Training.Orchestrator, Training.Notifier, Ct);

        page.WaitForAssertion(() => Assert.Equal("finished", page.Text("result-status")));
        Assert.Equal($"inferences/new?resultId={resultId}", page.Find("[data-testid=result-deploy-inference]").GetAttribute("href"));
    }
}
