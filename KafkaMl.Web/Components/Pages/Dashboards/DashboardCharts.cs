using System.Globalization;
using KafkaMl.Core.Dashboards;
using Plotly.Blazor;
using Plotly.Blazor.LayoutLib;
using Plotly.Blazor.Traces;
using Plotly.Blazor.Traces.ScatterLib;

namespace KafkaMl.Web.Components.Pages.Dashboards;

/// <summary>The Plotly figures of a dashboard's snapshot: labels and colours from its configuration, the palette otherwise.</summary>
internal static class DashboardCharts
{
    /// <summary>Class frequencies over the window, one bar per class in its colour.</summary>
    public static IList<ITrace> Bars(DashboardSummary summary, IReadOnlyList<DashboardLabel> labels)
    {
        var classes = Classes(summary, labels);
        return
        [
            new Bar
            {
                X = classes.Select(c => (object)c.Label).ToList(),
                Y = classes.Select(c => (object)(summary.ClassCounts?.GetValueOrDefault(Key(c.Id)) ?? 0)).ToList(),
                Marker = new Plotly.Blazor.Traces.BarLib.Marker { ColorArray = classes.Select(c => (object)c.Color).ToList() },
            },
        ];
    }

    /// <summary>Class frequencies per second as a stacked area, one band per class.</summary>
    public static IList<ITrace> Timeline(DashboardSummary summary, IReadOnlyList<DashboardLabel> labels)
    {
        var points = summary.ClassTimeline ?? [];
        var times = points.Select(p => (object)p.Time.ToLocalTime().DateTime).ToList();
        return [.. Classes(summary, labels).Select(c => (ITrace)new Scatter
        {
            Name = c.Label,
            Mode = ModeFlag.Lines | ModeFlag.Markers, // a single second is a point, not an area
            StackGroup = "classes",
            Line = new Line { Color = c.Color },
            X = times,
            Y = points.Select(p => (object)p.Counts.GetValueOrDefault(Key(c.Id))).ToList(),
        })];
    }

    /// <summary>One line per output of a regression over its latest predictions.</summary>
    public static IList<ITrace> Lines(DashboardSummary summary, IReadOnlyList<DashboardLabel> labels)
    {
        var recent = summary.Recent ?? [];
        var times = recent.Select(p => (object)p.Time.ToLocalTime().DateTime).ToList();
        return [.. (summary.Outputs ?? []).Select(o => DashboardPalette.Resolve(labels, o.Id)).Select(output => (ITrace)new Scatter
        {
            Name = output.Label,
            Mode = ModeFlag.Lines,
            Line = new Line { Color = output.Color },
            X = times,
            Y = recent.Select(p => (object?)(output.Id < p.Values.Count ? p.Values[output.Id] : null)).ToList()!,
        })];
    }

    /// <summary>The accuracy or MAE over the window, second by second.</summary>
    public static IList<ITrace> Score(DashboardSummary summary, string name) =>
    [
        new Scatter
        {
            Name = name,
            Mode = ModeFlag.Lines,
            X = summary.ScoreTimeline.Select(p => (object)p.Time.ToLocalTime().DateTime).ToList(),
            Y = summary.ScoreTimeline.Select(p => (object)p.Value).ToList(),
        },
    ];

    /// <param name="categories">The x axis names classes (shown as names even when they are numbers), not times.</param>
    public static Plotly.Blazor.Layout Layout(string title, string? yTitle = null, bool legend = false, bool categories = false) => new()
    {
        XAxis = [new XAxis { Type = categories ? Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Category : Plotly.Blazor.LayoutLib.XAxisLib.TypeEnum.Date }],
        Title = new Title { Text = title, X = 0.02m, XAnchor = Plotly.Blazor.LayoutLib.TitleLib.XAnchorEnum.Left },
        Height = 260,
        ShowLegend = legend,
        Margin = new Margin { L = 50, R = 20, T = 40, B = 40 },
        YAxis = [new YAxis { Title = new Plotly.Blazor.LayoutLib.YAxisLib.Title { Text = yTitle } }],
        UiRevision = title, // keeps zoom and hidden series across updates
    };

    /// <summary>The classes to show: the labelled ones, then any other seen in the window, by id.</summary>
    public static List<DashboardLabel> Classes(DashboardSummary summary, IReadOnlyList<DashboardLabel> labels)
    {
        var seen = (summary.ClassCounts?.Keys ?? []).Select(k => int.Parse(k, CultureInfo.InvariantCulture));
        return [.. labels.Select(l => l.Id).Union(seen).Order().Select(id => DashboardPalette.Resolve(labels, id))];
    }

    /// <summary>Black or white, whichever reads better on <paramref name="color"/> (#rgb or #rrggbb).</summary>
    public static string TextOn(string color)
    {
        var hex = color.TrimStart('#');
        if (hex.Length == 3) hex = string.Concat(hex.Select(c => $"{c}{c}"));
        if (hex.Length != 6 || !int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var rgb)) return "#000";
        var luminance = (0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff)) / 255;
        return luminance > 0.6 ? "#000" : "#fff";
    }

    public static string Key(int id) => id.ToString(CultureInfo.InvariantCulture);
}
