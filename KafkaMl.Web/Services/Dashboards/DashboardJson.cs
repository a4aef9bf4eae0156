using System.Text.Json;
using System.Text.Json.Nodes;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services.Dashboards;

/// <summary>
/// A dashboard's configuration as JSON, for the form's export and import: the API's field names out; in, those or
/// Kafka-ML's visualization config (<c>type</c>, <c>average_updated</c>, <c>average_window</c>,
/// <c>labels: [{id, color, label}]</c>), so a config pasted from Kafka-ML works as it is.
/// </summary>
public static class DashboardJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Export(DashboardRequest request) => JsonSerializer.Serialize(request, Options);

    /// <summary>
    /// The request <paramref name="json"/> describes, with <paramref name="current"/>'s title, topic and label topic where
    /// it names none (Kafka-ML's config has none of them); or why it cannot be read.
    /// </summary>
    public static (DashboardRequest? Request, string? Error) Import(string json, DashboardRequest current)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("The configuration must be a JSON object.");
        }
        catch (JsonException e)
        {
            return (null, $"Not a dashboard configuration: {e.Message}");
        }
        try
        {
            var labels = root["labels"] is JsonArray array
                ? array.Select(l => new DashboardLabelRequest(Int(l?["id"]), l?["label"]?.ToString(), l?["color"]?.ToString())).ToList()
                : current.Labels;
            return (new DashboardRequest(
                Text(root, "title") ?? current.Title,
                Text(root, "topic") ?? current.Topic,
                Text(root, "type") ?? current.Type,
                Int(root["window"] ?? root["average_window"]) ?? current.Window,
                Bool(root["averageUpdated"] ?? root["average_updated"]) ?? current.AverageUpdated,
                labels,
                root.ContainsKey("labelTopic") ? Text(root, "labelTopic") : current.LabelTopic,
                Bool(root["pinned"]) ?? current.Pinned), null);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
            return (null, $"Not a dashboard configuration: {e.Message}");
        }
    }

    private static string? Text(JsonObject root, string name) => root[name] is JsonValue value ? value.ToString() : null;

    // Kafka-ML writes ids and windows as numbers or as strings of digits.
    private static int? Int(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<string>(out var s) && int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw new FormatException($"'{node.ToJsonString()}' is not a whole number."),
    };

    private static bool? Bool(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<string>(out var s) && bool.TryParse(s, out var parsed) => parsed,
        _ => throw new FormatException($"'{node.ToJsonString()}' is not true or false."),
    };
}
