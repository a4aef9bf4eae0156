using KafkaMl.Core.Scripting;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>Samples as the model takes them, whatever source they came from.</summary>
public static class SampleShapes
{
    /// <summary>
    /// The samples in the shape the model script declares (<see cref="ModelDefinition.InputShape"/>): reshaped when
    /// only the shape differs (e.g. a flat 784-value stream for a <c>[1, 28, 28]</c> input); a failure naming both
    /// shapes when the sizes differ.
    /// </summary>
    public static SampleSet FitInputShape(SampleSet samples, ModelDefinition definition, IProgress<string>? log)
    {
        if (definition.InputShape is not { Count: > 0 } declared) return samples;
        var wanted = declared.Select(d => checked((int)d)).ToArray();
        if (wanted.SequenceEqual(samples.FeatureShape)) return samples;
        var size = wanted.Aggregate(1L, (product, d) => product * d);
        if (size != samples.FeatureSize)
        {
            throw new TrainingJobException(
                $"The stream's samples have shape {SampleSet.Describe(samples.FeatureShape)} ({samples.FeatureSize} values), but the model takes inputs of shape " +
                $"{SampleSet.Describe(wanted)} ({size} values). Send data that fits the model, or fix the data_reshape of the stream.");
        }
        log?.Report($"samples of shape {SampleSet.Describe(samples.FeatureShape)} reshaped to the model's input shape {SampleSet.Describe(wanted)}");
        return SampleSet.FromArrays(samples.Features.ToArray(), wanted,
            samples.HasLabels ? samples.Labels.ToArray() : null, samples.HasLabels ? samples.LabelShape : null);
    }
}
