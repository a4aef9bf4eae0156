using System.Globalization;
using KafkaMl.Core.Control;
using KafkaMl.Core.Sinks;

namespace KafkaMl.Web.Cli;

/// <summary>
/// The <c>--unlabelled FILE</c> of <c>send</c>: a CSV laid out like the labelled one, with or without its label column.
/// With a header, its feature columns are found by the labelled file's feature names (a label column, like any other
/// column, is ignored); without one, it has either every column of the labelled file (the label column is skipped) or
/// only the feature columns, in the labelled file's order. Each row goes to the unsupervised topic keyed by one byte 0.
/// </summary>
internal static class SendUnlabelled
{
    /// <summary>How to read the unlabelled file so its samples have the labelled file's features, in the same order.</summary>
    public static CsvSampleOptions Options(SendRequest request, CsvSamples labelled)
    {
        var path = request.UnlabelledPath!;
        var options = new CsvSampleOptions { HasHeader = request.HasHeader, Delimiter = request.Delimiter, Unlabelled = true };
        if (request.HasHeader) return options with { Features = labelled.FeatureNames };

        int columns;
        using (var probe = SendCommand.OpenCsv(path, options)) columns = probe.ColumnNames.Count;
        if (columns == labelled.ColumnNames.Count)
            return options with { Features = [.. labelled.FeatureColumns.Select(c => c.ToString(CultureInfo.InvariantCulture))] };
        if (columns == labelled.FeatureColumns.Count) return options;
        throw new SendFailure(
            $"{Path.GetFileName(path)} has {columns} column{(columns == 1 ? "" : "s")}; unlabelled rows need the labelled file's {labelled.ColumnNames.Count} columns "
            + $"or only its {labelled.FeatureColumns.Count} feature columns. Nothing was sent.",
            SendVerb.BadInput);
    }

    /// <summary>The summary lines of what went to the unsupervised topic (none without <c>--unlabelled</c>).</summary>
    public static string Summary(SinkResult result, ControlMessage control) => control.UnsupervisedTopic is null
        ? ""
        : $"unlabelled:  {result.UnlabelledMessages}{Environment.NewLine}unsupervised: {control.UnsupervisedTopic}{Environment.NewLine}";
}
