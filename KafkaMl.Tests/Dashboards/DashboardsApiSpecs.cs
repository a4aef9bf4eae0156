using KafkaMl.Web.Services.Dashboards;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Tests.Dashboards;

/// <summary><c>/api/dashboards</c>'s handlers over a real SQLite database (the summary is in <see cref="DashboardsPortalSpecs"/>).</summary>
public sealed class DashboardsApiSpecs : DatabaseSpecBase, IAsyncDisposable
{
    // Never dialled here: no spec of this class asks for a summary.
    private readonly DashboardHub hub = new(new KafkaEndpoint("127.0.0.1:1", false, "control"), Options.Create(new DashboardOptions()),
        TimeProvider.System, NullLogger<DashboardHub>.Instance);

    private DashboardService Dashboards() => new(new Apis.TestContexts(Database), hub, TimeProvider.System);

    internal static DashboardRequest ARequest(string title = "Fraud classes", string topic = "fraud-out", string type = "classification") =>
        new(title, topic, type, 50, AverageUpdated: true, [new(0, "legit", "#2ca02c"), new(1, "fraud", "#D62728")], "fraud-labels", Pinned: true);

    [Fact]
    public async Task Creating_a_dashboard_answers_201_with_its_location_and_every_field_as_written()
    {
        var result = await DashboardsApi.CreateDashboard(ARequest(), Dashboards(), Ct);

        var created = Assert.IsType<Created<DashboardResponse>>(result.Result);
        var dashboard = created.Value!;
        Assert.Equal($"/api/dashboards/{dashboard.Id}", created.Location);
        Assert.Equal(("Fraud classes", "fraud-out", "classification", 50, true, "fraud-labels", true, (int?)null),
            (dashboard.Title, dashboard.Topic, dashboard.Type, dashboard.Window, dashboard.AverageUpdated, dashboard.LabelTopic, dashboard.Pinned, dashboard.InferenceId));
        Assert.Equal([new DashboardLabel(0, "legit", "#2ca02c"), new DashboardLabel(1, "fraud", "#d62728")], dashboard.Labels);
    }

    [Fact]
    public async Task A_dashboard_reads_back_lists_updates_and_deletes()
    {
        var service = Dashboards();
        var id = Assert.IsType<Created<DashboardResponse>>((await DashboardsApi.CreateDashboard(ARequest(), service, Ct)).Result).Value!.Id;

        var got = Assert.IsType<Ok<DashboardResponse>>((await DashboardsApi.GetDashboard(id, service, Ct)).Result).Value!;
        var updated = await DashboardsApi.UpdateDashboard(id, got.ToRequest() with { Type = "regression", Window = 7, LabelTopic = null }, service, Ct);
        var listed = (await DashboardsApi.ListDashboards(service, Ct)).Value!;
        var deleted = await DashboardsApi.DeleteDashboard(id, service, Ct);

        Assert.Equal(("regression", 7, (string?)null), Assert.IsType<Ok<DashboardResponse>>(updated.Result).Value! is var u ? (u.Type, u.Window, u.LabelTopic) : default);
        Assert.Equal([id], listed.Select(d => d.Id));
        Assert.IsType<NoContent>(deleted.Result);
        Assert.IsType<NotFound<ProblemDetails>>((await DashboardsApi.GetDashboard(id, service, Ct)).Result);
        Assert.IsType<NotFound<ProblemDetails>>((await DashboardsApi.DeleteDashboard(id, service, Ct)).Result);
    }

    [Fact]
    public async Task Bad_fields_answer_400_with_one_message_per_field_and_save_nothing()
    {
        var request = new DashboardRequest(" ", "bad topic!", "clustering", 0, null, [new(0, "a", "red"), new(0, "b", "#fff"), new(null, "c", null)], "bad topic!");

        var result = await DashboardsApi.CreateDashboard(request, Dashboards(), Ct);

        var errors = Assert.IsType<ValidationProblem>(result.Result).ProblemDetails.Errors;
        Assert.Equal(["labelTopic", "labels[0].color", "labels[1].id", "labels[2].id", "title", "topic", "type", "window"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("classification or regression", errors["type"].Single());
        Assert.Contains("from 1 to 100000", errors["window"].Single());
        Assert.Contains("#rgb or #rrggbb", errors["labels[0].color"].Single());
        await using var db = Database.CreateContext();
        Assert.False(await db.Dashboards.AnyAsync());
    }

    [Fact]
    public async Task The_label_topic_must_differ_from_the_predictions_topic()
    {
        var result = await DashboardsApi.CreateDashboard(ARequest() with { LabelTopic = "fraud-out" }, Dashboards(), Ct);

        Assert.Equal(["labelTopic"], Assert.IsType<ValidationProblem>(result.Result).ProblemDetails.Errors.Keys);
    }

    [Fact]
    public async Task Updating_a_dashboard_that_does_not_exist_answers_404()
    {
        var result = await DashboardsApi.UpdateDashboard(404, ARequest(), Dashboards(), Ct);

        Assert.IsType<NotFound<ProblemDetails>>(result.Result);
    }

    [Fact]
    public async Task An_inferences_own_dashboard_is_made_once_on_its_output_with_the_classes_its_result_was_tested_on()
    {
        var model = await Database.SeedModelAsync();
        var deployment = await Database.SeedDeploymentAsync((await Database.SeedConfigurationAsync(model.Id)).Id, model.Id);
        var resultId = deployment.Results.Single().Id;
        await using (var db = Database.CreateContext())
        {
            await db.TrainingResults.Where(r => r.Id == resultId).ExecuteUpdateAsync(set => set.SetProperty(r => r.ConfusionMatrix, new[] { new[] { 1, 0, 0 }, new[] { 0, 1, 0 }, new[] { 0, 0, 1 } }));
            db.Inferences.Add(new KafkaMl.Core.Domain.Inference { ResultId = resultId, InputFormat = "RAW", InputTopic = "in-x", OutputTopic = "out-x", StatusChanged = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        await using var read = Database.CreateContext();
        var inferenceId = await read.Inferences.Select(i => i.Id).SingleAsync();

        var first = (await Dashboards().ForInferenceAsync(inferenceId, Ct)).Value!;
        var again = (await Dashboards().ForInferenceAsync(inferenceId, Ct)).Value!;

        Assert.Equal(first.Id, again.Id);
        Assert.Equal(("out-x", "classification", inferenceId), (first.Topic, first.Type, first.InferenceId));
        Assert.Equal(["0", "1", "2"], first.Labels.Select(l => l.Label));
        Assert.Equal(KafkaMl.Core.Dashboards.DashboardPalette.Colors.Take(3), first.Labels.Select(l => l.Color));
    }

    public async ValueTask DisposeAsync() => await hub.DisposeAsync();
}
