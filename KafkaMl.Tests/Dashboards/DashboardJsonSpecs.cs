using KafkaMl.Web.Services.Dashboards;

namespace KafkaMl.Tests.Dashboards;

public sealed class DashboardJsonSpecs
{
    private static readonly DashboardRequest Form = new("Current", "current-topic", "classification", 100, false, [], "current-labels", Pinned: true);

    [Fact]
    public void An_export_imports_back_as_the_same_configuration()
    {
        var exported = DashboardsApiSpecs.ARequest();

        var (imported, error) = DashboardJson.Import(DashboardJson.Export(exported), Form);

        Assert.Null(error);
        Assert.Equal(DashboardJson.Export(exported), DashboardJson.Export(imported!));
    }

    [Fact]
    public void Kafka_mls_visualization_config_imports_keeping_the_forms_title_and_topics()
    {
        const string kafkaMl = """
            {"type": "regression", "average_updated": true, "average_window": "25",
             "labels": [{"id": 0, "color": "#ff0000", "label": "temperature"}, {"id": "1", "color": "#00ff00", "label": "humidity"}]}
            """;

        var (imported, error) = DashboardJson.Import(kafkaMl, Form);

        Assert.Null(error);
        Assert.Equal(("Current", "current-topic", "regression", 25, true, "current-labels"),
            (imported!.Title, imported.Topic, imported.Type, imported.Window, imported.AverageUpdated, imported.LabelTopic));
        Assert.Equal([new DashboardLabelRequest(0, "temperature", "#ff0000"), new DashboardLabelRequest(1, "humidity", "#00ff00")], imported.Labels);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1, 2]")]
    [InlineData("""{"average_window": "many"}""")]
    public void Something_that_is_not_a_configuration_is_refused_with_a_reason(string json)
    {
        var (imported, error) = DashboardJson.Import(json, Form);

        Assert.Null(imported);
        Assert.StartsWith("Not a dashboard configuration", error);
    }
}
