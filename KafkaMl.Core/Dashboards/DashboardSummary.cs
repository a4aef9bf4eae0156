using System.Text.Json.Serialization;
using KafkaMl.Core.Domain;

namespace KafkaMl.Core.Dashboards;

/// <summary>How a dashboard aggregates: what its predictions are, over how many of the latest, and what the tile shows.</summary>
public sealed record DashboardSettings(DashboardType Type, int Window, bool AverageUpdated)
{
    public static DashboardSettings Of(Dashboard dashboard) => new(dashboard.Type, dashboard.Window, dashboard.AverageUpdated);
}

/// <summary>Where a dashboard's reader is.</summary>
public enum DashboardState
{
    /// <summary>Looking the topic up and positioning on it.</summary>
    [JsonStringEnumMemberName("starting")] Starting,

    /// <summary>Reading (possibly nothing arrives).</summary>
    [JsonStringEnumMemberName("reading")] Reading,

    /// <summary>The topic does not exist (yet): the reader looks again every few seconds.</summary>
    [JsonStringEnumMemberName("topicMissing")] TopicMissing,

    /// <summary>Kafka refused for good (e.g. not authorized): <see cref="DashboardSummary.Problem"/> says why.</summary>
    [JsonStringEnumMemberName("failed")] Failed,
}

/// <summary>The figures of one output of a regression over the window (null: no finite value in it).</summary>
public sealed record OutputFigures(int Id, float? Last, double? Min, double? Mean, double? Max);

/// <summary>How many predictions of each class (by id) fell in one second.</summary>
public sealed record ClassCountsPoint(DateTimeOffset Time, IReadOnlyDictionary<string, long> Counts);

/// <summary>One regression prediction: its outputs (null: not finite) and when it was written.</summary>
public sealed record ValuesPoint(DateTimeOffset Time, IReadOnlyList<float?> Values);

/// <summary>The accuracy or MAE over the window after the last join of one second.</summary>
public sealed record ScorePoint(DateTimeOffset Time, double Value);

/// <summary>
/// A dashboard's live aggregates (<c>GET /api/dashboards/{id}/summary</c>, and what viewers are pushed). Figures
/// cover the latest <c>window</c> predictions; <see cref="Messages"/> and <see cref="NotPredictions"/> count since
/// the reader started. Classification fills <see cref="Current"/>, <see cref="Last"/>, <see cref="ClassCounts"/>
/// and <see cref="ClassTimeline"/>; regression <see cref="Outputs"/> and <see cref="Recent"/>. With a label topic,
/// <see cref="Accuracy"/> (classification) or <see cref="Mae"/> (regression) over the latest <c>window</c> joined
/// predictions, and <see cref="ScoreTimeline"/>.
/// </summary>
public sealed record DashboardSummary(
    string Type,
    long Messages,
    long NotPredictions,
    int InWindow,
    int? Current,
    IReadOnlyList<int>? Last,
    IReadOnlyDictionary<string, long>? ClassCounts,
    IReadOnlyList<OutputFigures>? Outputs,
    long Labelled,
    double? Accuracy,
    double? Mae,
    IReadOnlyList<ClassCountsPoint>? ClassTimeline,
    IReadOnlyList<ValuesPoint>? Recent,
    IReadOnlyList<ScorePoint> ScoreTimeline,
    int PendingPredictions,
    int PendingLabels)
{
    /// <summary>Where the reader is.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<DashboardState>))]
    public DashboardState State { get; init; } = DashboardState.Reading;

    /// <summary>Why the reader does not read (a missing topic, a refusal), for people.</summary>
    public string? Problem { get; init; }

    /// <summary>When the figures were taken.</summary>
    public DateTimeOffset At { get; init; }
}
