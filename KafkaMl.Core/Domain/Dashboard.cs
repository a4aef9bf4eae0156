using System.Text.Json.Serialization;

namespace KafkaMl.Core.Domain;

/// <summary>What a dashboard's predictions are: classes (a tile, a strip, bars) or values (live lines).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DashboardType>))]
public enum DashboardType
{
    [JsonStringEnumMemberName("classification")]
    Classification,

    [JsonStringEnumMemberName("regression")]
    Regression,
}

/// <summary>
/// How one class (classification) or one output (regression) is shown: <see cref="Id"/> is the class index or the
/// output's position in <c>values</c>; <see cref="Color"/> a CSS hex colour (<c>#rgb</c> or <c>#rrggbb</c>).
/// </summary>
public sealed record DashboardLabel(int Id, string Label, string Color);

/// <summary>
/// A live view over a topic carrying <c>{"values": [...]}</c> predictions (Kafka-ML's visualization config plus a
/// title): saved, never the data it shows, which lives in the portal's memory while someone watches.
/// </summary>
public class Dashboard
{
    public const int TitleMaxLength = 100;

    /// <summary>The largest window: it bounds the memory one dashboard's aggregation holds.</summary>
    public const int MaxWindow = 100_000;

    public int Id { get; set; }

    public string Title { get; set; } = "";

    /// <summary>The topic of predictions watched.</summary>
    public string Topic { get; set; } = "";

    public DashboardType Type { get; set; } = DashboardType.Classification;

    /// <summary>How many of the latest predictions the figures cover (Kafka-ML's <c>average_window</c>).</summary>
    public int Window { get; set; } = 100;

    /// <summary>Whether the tile shows the leading class over the window instead of the latest one (Kafka-ML's <c>average_updated</c>).</summary>
    public bool AverageUpdated { get; set; }

    public List<DashboardLabel> Labels { get; set; } = [];

    /// <summary>A topic of true labels keyed like the input (optional): predictions are joined with them by key.</summary>
    public string? LabelTopic { get; set; }

    /// <summary>Shown on the overview.</summary>
    public bool Pinned { get; set; }

    /// <summary>The inference service whose output this is its own dashboard of (null: a dashboard on any topic).</summary>
    public int? InferenceId { get; set; }

    public DateTimeOffset Created { get; set; }
}
