using System.Text.Json.Serialization;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Federated;

/// <summary>
/// A site's standardisation statistics: per feature, the mean and the (population) variance of its training samples,
/// and how many there were. Combined count-weighted across sites they equal the statistics of all samples pooled, so
/// every site standardises with the same global scaler without any site sending its samples.
/// </summary>
public sealed record ScalerStatistics(
    [property: JsonPropertyName("count")] long Count,
    [property: JsonPropertyName("mean")] double[] Mean,
    [property: JsonPropertyName("variance")] double[] Variance)
{
    /// <summary>The statistics of <paramref name="samples"/>.</summary>
    public static ScalerStatistics Of(SampleSet samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) throw new TrainingException("Standardisation statistics need at least one sample.");
        var size = samples.FeatureSize;
        var mean = new double[size];
        var variance = new double[size];
        var features = samples.Features.Span;
        for (var i = 0; i < samples.Count; i++)
            for (var f = 0; f < size; f++) mean[f] += features[i * size + f];
        for (var f = 0; f < size; f++) mean[f] /= samples.Count;
        for (var i = 0; i < samples.Count; i++)
            for (var f = 0; f < size; f++)
            {
                var d = features[i * size + f] - mean[f];
                variance[f] += d * d;
            }
        for (var f = 0; f < size; f++) variance[f] /= samples.Count;
        return new ScalerStatistics(samples.Count, mean, variance);
    }

    /// <summary>
    /// The pooled statistics: mean <c>Σ nᵢmᵢ / N</c>, variance <c>Σ nᵢ(vᵢ + (mᵢ − m)²) / N</c> (within plus between sites).
    /// </summary>
    public static ScalerStatistics Combine(IReadOnlyList<ScalerStatistics> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("There are no statistics to combine.", nameof(parts));
        var size = parts[0].Mean.Length;
        if (parts.Any(p => p.Mean.Length != size || p.Variance.Length != size || p.Count <= 0))
            throw new ArgumentException("Every site's statistics must count samples and cover the same features.", nameof(parts));
        var total = parts.Sum(p => p.Count);
        var mean = new double[size];
        foreach (var part in parts)
            for (var f = 0; f < size; f++) mean[f] += part.Count * part.Mean[f];
        for (var f = 0; f < size; f++) mean[f] /= total;
        var variance = new double[size];
        foreach (var part in parts)
            for (var f = 0; f < size; f++)
            {
                var d = part.Mean[f] - mean[f];
                variance[f] += part.Count * (part.Variance[f] + d * d);
            }
        for (var f = 0; f < size; f++) variance[f] /= total;
        return new ScalerStatistics(total, mean, variance);
    }

    /// <summary>The scaler these statistics define (a constant feature gets a deviation of 1, as in <see cref="FeatureScaler.Fit"/>).</summary>
    public FeatureScaler ToScaler() => new(
        [.. Mean.Select(m => (float)m)],
        [.. Variance.Select(v => Math.Sqrt(v) is var s && s > 1e-12 && double.IsFinite(s) ? (float)s : 1f)]);
}
