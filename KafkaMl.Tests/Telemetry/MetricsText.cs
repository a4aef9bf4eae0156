using System.Globalization;
using System.Text.RegularExpressions;

namespace KafkaMl.Tests.Telemetry;

/// <summary>One sample of a Prometheus text exposition: the series name, its labels and its value.</summary>
public sealed record MetricsSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A scrape in the Prometheus text format (0.0.4), parsed line by line; a line that is neither a comment nor a sample fails the parse.</summary>
public sealed partial class MetricsText
{
    private MetricsText(IReadOnlyList<MetricsSample> samples, IReadOnlyDictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public IReadOnlyList<MetricsSample> Samples { get; }

    /// <summary>Metric family → its <c># TYPE</c> (counter, gauge, histogram, ...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    public static MetricsText Parse(string text)
    {
        var samples = new List<MetricsSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0))
        {
            if (line.StartsWith('#'))
            {
                if (TypeLine().Match(line) is { Success: true } type) types[type.Groups["name"].Value] = type.Groups["type"].Value;
                continue;
            }
            var match = SampleLine().Match(line);
            if (!match.Success) throw new FormatException($"Not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value)
                .ToDictionary(m => m.Groups["key"].Value, m => Unescape(m.Groups["value"].Value), StringComparer.Ordinal);
            samples.Add(new MetricsSample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value)));
        }
        return new MetricsText(samples, types);
    }

    /// <summary>The samples named <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    public IReadOnlyList<MetricsSample> Find(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();

    /// <summary>The sum of the samples <see cref="Find"/> answers (0 when there are none).</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) => Find(name, labels).Sum(s => s.Value);

    /// <summary>A sample value or an <c>le</c> bound: a number, <c>+Inf</c> or <c>-Inf</c>.</summary>
    public static double ParseValue(string value) => value switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static string Unescape(string value) => value.Replace("\\\\", "\u0000", StringComparison.Ordinal)
        .Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal).Replace("\u0000", "\\", StringComparison.Ordinal);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+-?\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();

    [GeneratedRegex("""^# TYPE (?<name>\S+) (?<type>\S+)$""")]
    private static partial Regex TypeLine();
}
