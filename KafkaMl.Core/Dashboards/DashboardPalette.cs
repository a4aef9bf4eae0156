using System.Globalization;
using KafkaMl.Core.Domain;

namespace KafkaMl.Core.Dashboards;

/// <summary>The fixed colours dashboards give classes and outputs that have none of their own (readable on light and dark).</summary>
public static class DashboardPalette
{
    public static IReadOnlyList<string> Colors { get; } =
    [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ];

    /// <summary>The palette's colour for class or output <paramref name="id"/>.</summary>
    public static string ColorOf(int id) => Colors[((id % Colors.Count) + Colors.Count) % Colors.Count];

    /// <summary>Labels <c>0</c>..<c>count - 1</c> named by their index, in the palette's colours (the classes a model was trained with).</summary>
    public static List<DashboardLabel> Numbered(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new DashboardLabel(i, i.ToString(CultureInfo.InvariantCulture), ColorOf(i)))];

    /// <summary>How <paramref name="id"/> is shown: its label when it has one, else its index in the palette's colour.</summary>
    public static DashboardLabel Resolve(IReadOnlyList<DashboardLabel> labels, int id) =>
        labels.FirstOrDefault(l => l.Id == id) ?? new DashboardLabel(id, id.ToString(CultureInfo.InvariantCulture), ColorOf(id));
}
