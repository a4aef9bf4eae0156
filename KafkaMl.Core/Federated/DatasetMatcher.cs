using System.Text.Json.Nodes;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Federated;

/// <summary>
/// Whether a site's dataset can train an announced model: its declared sample shape holds as many values as the model's input shape
/// (a dataset that declares none is checked when its data is read), its <c>dataset_restrictions</c> equal the model's
/// <c>data_restriction</c> exactly (as JSON, whatever the key order), and it holds at least <c>min_data</c> samples (an
/// incremental dataset has no size check).
/// </summary>
public static class DatasetMatcher
{
    /// <summary>Null when the dataset matches; otherwise why not, as a sentence for the agent's log.</summary>
    public static string? Mismatch(ModelAnnouncement model, SiteDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        // The same number of values is enough: training reshapes them to the model's input (SampleShapes.FitInputShape).
        if (model.InputShape is { } input && dataset.SampleShape is { } shape && Size(shape) != Size(input))
            return $"dataset '{dataset.Key}' has samples of shape {SampleSet.Describe(shape)}, the model of result {model.ResultId} takes {SampleSet.Describe(input)}.";
        if (!JsonNode.DeepEquals(model.DataRestriction, dataset.Restrictions))
            return $"dataset '{dataset.Key}' has restrictions {dataset.Restrictions.ToJsonString()}, the model of result {model.ResultId} asks for {model.DataRestriction.ToJsonString()}.";
        if (dataset.Samples is { } samples && samples < model.MinData)
            return $"dataset '{dataset.Key}' holds {samples} samples, the model of result {model.ResultId} needs at least {model.MinData}.";
        return null;
    }

    private static long Size(IEnumerable<long> shape) => shape.Aggregate(1L, (product, d) => product * d);
}
