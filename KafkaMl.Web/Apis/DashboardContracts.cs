namespace KafkaMl.Web.Apis;

/// <summary>One class's or output's label in a <see cref="DashboardRequest"/>.</summary>
public sealed record DashboardLabelRequest(int? Id, string? Label, string? Color);

/// <summary>
/// Body of <c>POST /api/dashboards</c> and <c>PUT /api/dashboards/{id}</c>: <c>type</c> <c>classification</c> or
/// <c>regression</c>; <c>window</c> the latest predictions the figures cover (100 when left out); <c>labelTopic</c> a
/// topic of true labels keyed like the input (optional); <c>pinned</c> shows it on the overview.
/// </summary>
public sealed record DashboardRequest(
    string? Title,
    string? Topic,
    string? Type,
    int? Window,
    bool? AverageUpdated,
    IReadOnlyList<DashboardLabelRequest>? Labels,
    string? LabelTopic,
    bool? Pinned = null);

/// <summary>A dashboard as the API shows it; <see cref="InferenceId"/> names the inference whose own dashboard it is.</summary>
public sealed record DashboardResponse(
    int Id,
    string Title,
    string Topic,
    string Type,
    int Window,
    bool AverageUpdated,
    IReadOnlyList<DashboardLabel> Labels,
    string? LabelTopic,
    bool Pinned,
    int? InferenceId)
{
    public static DashboardResponse From(Dashboard d) =>
        new(d.Id, d.Title, d.Topic, d.Type.ToName(), d.Window, d.AverageUpdated, d.Labels, d.LabelTopic, d.Pinned, d.InferenceId);

    /// <summary>The request that would save this dashboard as it is (the form's start, the JSON export).</summary>
    public DashboardRequest ToRequest() =>
        new(Title, Topic, Type, Window, AverageUpdated, [.. Labels.Select(l => new DashboardLabelRequest(l.Id, l.Label, l.Color))], LabelTopic, Pinned);
}
