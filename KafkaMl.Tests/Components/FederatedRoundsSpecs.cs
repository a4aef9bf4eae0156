using Bunit;
using KafkaMl.Core.Federated;
using KafkaMl.Web.Components.Pages.Results;
using KafkaMl.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace KafkaMl.Tests.Components;

/// <summary>
/// A federated result's page shows rounds instead of epochs: the global metrics, sites and samples per round, and the
/// sites that took part (read from the updates topic of a real embedded broker), kept live as rounds are reported.
/// </summary>
[Collection(EmbeddedBrokerCollection.Name)]
public sealed class FederatedRoundsSpecs(BrokerFixture broker)
    : PortalComponentContext(new KafkaEndpoint(broker.Broker.BootstrapServers, true, $"control-{Guid.NewGuid():N}"))
{
    private static EpochPoint ARound(int round, int sites, long samples, double accuracy, int rejected = 0) => new(
        round,
        new Dictionary<string, double> { ["loss"] = 1 - accuracy, ["accuracy"] = accuracy - 0.02, [RoundMetrics.Sites] = sites, [RoundMetrics.Samples] = samples, [RoundMetrics.Rejected] = rejected },
        new Dictionary<string, double> { ["loss"] = 1.1 - accuracy, ["accuracy"] = accuracy });

    private static MetricChart ChartTitled(IRenderedComponent<FederatedRounds> view, string title) =>
        view.FindComponents<MetricChart>().Single(c => c.Instance.Title == title).Instance;

    [Fact]
    public void Each_round_is_a_point_of_the_global_metrics_and_a_bar_of_its_sites_and_samples()
    {
        var view = Render<FederatedRounds>(p => p
            .Add(c => c.Rounds, [ARound(1, 2, 1080, 0.7), ARound(2, 1, 540, 0.75, rejected: 1), ARound(3, 2, 1080, 0.85)])
            .Add(c => c.Sites, []));

        Assert.Equal(["Global loss", "Global accuracy", "Sites per round", "Samples per round"], view.FindComponents<MetricChart>().Select(c => c.Instance.Title));
        var accuracy = ChartTitled(view, "Global accuracy");
        Assert.Equal("round", accuracy.XTitle);
        Assert.Equal([1L, 2, 3], accuracy.Series.Single(s => s.Name == "validation").Epochs);
        Assert.Equal([0.7, 0.75, 0.85], accuracy.Series.Single(s => s.Name == "validation").Values);
        var sites = ChartTitled(view, "Sites per round").Series;
        Assert.All(sites, s => Assert.True(s.Bars));
        Assert.Equal([2.0, 1, 2], sites.Single(s => s.Name == "sites").Values);
        Assert.Equal([0.0, 1, 0], sites.Single(s => s.Name == "rejected updates").Values);
        Assert.Equal([1080.0, 540, 1080], Assert.Single(ChartTitled(view, "Samples per round").Series).Values);
        Assert.Contains("Round 3 aggregated (3 rounds reported)", view.Find("[data-testid=round-progress]").TextContent);
    }

    [Fact]
    public void The_sites_table_shows_each_sites_samples_last_round_and_test_samples()
    {
        var at = DateTimeOffset.UtcNow;
        var view = Render<FederatedRounds>(p => p
            .Add(c => c.Rounds, [ARound(1, 2, 1080, 0.7)])
            .Add(c => c.Sites, [new KnownSite("clinic-b", at, [4], 6, 420, 5, TestSamples: 120), new KnownSite("clinic-a", at, [4], 3, 1500, 2)]));

        Assert.Equal(["Site", "Samples", "Last round", "Test samples", "Last contact"], view.FindAll("[data-testid=federated-round-sites] th").Select(h => h.TextContent.Trim()));
        Assert.Equal(["clinic-a", "1,500", "2", "–"], view.FindAll("tr[data-site='clinic-a'] td").Take(4).Select(c => c.TextContent.Trim()));
        Assert.Equal(["clinic-b", "420", "5", "120"], view.FindAll("tr[data-site='clinic-b'] td").Take(4).Select(c => c.TextContent.Trim()));
    }

    [Fact]
    public async Task A_federated_results_page_shows_its_rounds_and_sites_instead_of_epochs_and_gains_a_round_live()
    {
        var resultId = await Training.SeedResultAsync(TrainingStatus.Deployed);
        var site = $"site-{Guid.NewGuid():N}";
        await ReportFederatedAsync(resultId, ARound(1, 1, 540, 0.7));
        using (var publisher = new TransferPublisher(broker.Broker.BootstrapServers, "federated-rounds-specs"))
        {
            var update = KafkaMl.Tests.Federated.FederatedData.Update(site, 1, 540) with { ResultId = resultId };
            await publisher.PublishAsync(FederatedTopics.Updates(resultId), WeightTransfer.Split(update, KafkaMl.Tests.Federated.FederatedData.Weights(0)), Ct);
        }

        var page = RenderWithProviders<ResultDetailPage>(("Id", resultId));

        page.WaitForAssertion(() => Assert.Equal("1", page.Find("[data-testid=federated-rounds]").GetAttribute("data-rounds")));
        Assert.Empty(page.FindComponents<ResultCharts>());
        page.WaitForAssertion(() => Assert.Equal([site, "540", "1", "–"], page.FindAll($"tr[data-site='{site}'] td").Take(4).Select(c => c.TextContent.Trim())));

        await ReportFederatedAsync(resultId, ARound(2, 1, 540, 0.8), statusToo: false);

        page.WaitForAssertion(() => Assert.Equal("2", page.Find("[data-testid=federated-rounds]").GetAttribute("data-rounds")));
        Assert.Equal([0.7, 0.8], page.ChartComponent("Global accuracy").Instance.Series.Single(s => s.Name == "validation").Values);
    }

    /// <summary>The coordinator's reports: training on the updates topic (the first time), then the round as an epoch.</summary>
    private async Task ReportFederatedAsync(int resultId, EpochPoint round, bool statusToo = true)
    {
        await using var db = Training.CreateContext();
        if (statusToo)
        {
            var data = new TrainingDataReport(FederatedTopics.Updates(resultId), FederatedTopics.InputFormat, [], 0, 0, 0);
            var status = await Web.Apis.TrainingJobsApi.ReportStatus(resultId, new TrainingStatusReport("training", Data: data), db, Training.Notifier, Ct);
            Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.NoContent>(status.Result);
        }
        var epoch = new EpochReportDto(round.Epoch, round.Train, round.Validation);
        var outcome = await Web.Apis.TrainingJobsApi.ReportEpoch(resultId, epoch, db, Training.Notifier, Ct);
        Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.NoContent>(outcome.Result);
    }
}
