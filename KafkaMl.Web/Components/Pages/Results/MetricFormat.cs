using System.Globalization;
using KafkaMl.Core.Training;

namespace KafkaMl.Web.Components.Pages.Results;

/// <summary>
/// How the results pages order, name and format metrics: the loss first, then the engines' metrics in their order
/// (accuracy, MSE, MAE; <see cref="MetricNames"/>), then the rest.
/// </summary>
public static class MetricFormat
{
    private static readonly string[] Preferred = [MetricNames.Loss, .. MetricNames.Known];

    public static IReadOnlyList<string> Ordered(IEnumerable<string> names) =>
        names.Distinct(StringComparer.Ordinal)
            .OrderBy(Rank)
            .ThenBy(n => n, StringComparer.Ordinal)
            .ToList();

    public static string Label(string name) => name switch
    {
        MetricNames.Loss => "Loss",
        MetricNames.Accuracy => "Accuracy",
        MetricNames.Mse => "MSE",
        MetricNames.Mae => "MAE",
        _ => name,
    };

    public static string Value(double value) =>
        double.IsFinite(value) ? value.ToString("0.####", CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"12.5 s", "3 min 12 s", or an empty string when not known.</summary>
    public static string Duration(double? seconds) => seconds switch
    {
        null => "",
        < 60 => $"{seconds.Value.ToString("0.0", CultureInfo.InvariantCulture)} s",
        _ => $"{(int)(seconds.Value / 60)} min {(int)(seconds.Value % 60)} s",
    };

    private static int Rank(string name) => Array.IndexOf(Preferred, name) is var i and >= 0 ? i : Preferred.Length;
}
