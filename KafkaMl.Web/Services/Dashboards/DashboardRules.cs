using System.Globalization;
using System.Text.RegularExpressions;
using KafkaMl.Core.Streaming;
using KafkaMl.Web.Apis;

namespace KafkaMl.Web.Services.Dashboards;

/// <summary>What a dashboard's fields must hold, with one message per field as the API and the form show them.</summary>
internal static partial class DashboardRules
{
    public const int DefaultWindow = 100;

    public const int LabelMaxLength = 100;

    /// <summary>The errors, and the dashboard the request describes when there are none (its id and inference left alone).</summary>
    public static (ValidationErrors Errors, Dashboard Dashboard) Check(DashboardRequest request)
    {
        var errors = new ValidationErrors();
        var title = request.Title?.Trim() ?? "";
        if (title.Length == 0) errors.Add("title", "A title is required.");
        else if (title.Length > Dashboard.TitleMaxLength) errors.Add("title", $"A title has at most {Dashboard.TitleMaxLength} characters ({title.Length} given).");

        var topic = request.Topic?.Trim() ?? "";
        if (TopicNames.Problem(topic) is { } topicProblem) errors.Add("topic", topicProblem);
        var labelTopic = string.IsNullOrWhiteSpace(request.LabelTopic) ? null : request.LabelTopic.Trim();
        if (labelTopic is not null && TopicNames.Problem(labelTopic) is { } labelProblem) errors.Add("labelTopic", labelProblem);
        else if (labelTopic is not null && labelTopic == topic) errors.Add("labelTopic", "The label topic must be another topic than the predictions'.");

        var type = DashboardType.Classification;
        if (string.IsNullOrWhiteSpace(request.Type)) errors.Add("type", "A type is required: classification or regression.");
        else if (!EnumNames.TryParse(request.Type, out type))
            errors.Add("type", $"'{request.Type}' is not a dashboard type: use classification or regression.");

        var window = request.Window ?? DefaultWindow;
        if (window < 1 || window > Dashboard.MaxWindow)
            errors.Add("window", string.Create(CultureInfo.InvariantCulture, $"The window is a number of predictions from 1 to {Dashboard.MaxWindow} ({window} given)."));

        var labels = CheckLabels(request.Labels ?? [], errors);
        var dashboard = new Dashboard
        {
            Title = title, Topic = topic, Type = type, Window = window, AverageUpdated = request.AverageUpdated ?? false,
            Labels = labels, LabelTopic = labelTopic, Pinned = request.Pinned ?? false,
        };
        return (errors, dashboard);
    }

    private static List<DashboardLabel> CheckLabels(IReadOnlyList<DashboardLabelRequest> requested, ValidationErrors errors)
    {
        var labels = new List<DashboardLabel>();
        var seen = new HashSet<int>();
        for (var i = 0; i < requested.Count; i++)
        {
            var label = requested[i];
            var field = string.Create(CultureInfo.InvariantCulture, $"labels[{i}]");
            if (label?.Id is not { } id || id < 0)
            {
                errors.Add($"{field}.id", "A label's id is the class index or output position: 0 or more.");
                continue;
            }
            if (!seen.Add(id)) errors.Add($"{field}.id", string.Create(CultureInfo.InvariantCulture, $"Id {id} is labelled twice."));
            var text = label.Label?.Trim() ?? "";
            if (text.Length > LabelMaxLength) errors.Add($"{field}.label", $"A label has at most {LabelMaxLength} characters ({text.Length} given).");
            var color = label.Color?.Trim() ?? "";
            if (color.Length == 0) color = KafkaMl.Core.Dashboards.DashboardPalette.ColorOf(id);
            else if (!HexColor().IsMatch(color)) errors.Add($"{field}.color", $"'{color}' is not a colour: use #rgb or #rrggbb (e.g. #1f77b4).");
            labels.Add(new DashboardLabel(id, text.Length == 0 ? id.ToString(CultureInfo.InvariantCulture) : text, color.ToLowerInvariant()));
        }
        return [.. labels.OrderBy(l => l.Id)];
    }

    [GeneratedRegex("^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")]
    private static partial Regex HexColor();
}
