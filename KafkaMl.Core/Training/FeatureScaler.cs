using System.Text.Json;
using System.Text.Json.Serialization;

namespace KafkaMl.Core.Training;

/// <summary>
/// Feature standardisation, <c>(x − mean) / std</c> per feature (per flattened element of a sample),
/// fitted on the training split only and stored beside the weights so inference applies the same
/// transform. Serialises to JSON as <c>{"mean": [...], "std": [...]}</c>.
/// </summary>
/// <param name="Mean">The training mean of every feature.</param>
/// <param name="Std">
/// The training standard deviation of every feature (population, as scikit-learn's StandardScaler);
/// a constant feature gets 1, so it is only centred.
/// </param>
public sealed record FeatureScaler(
    [property: JsonPropertyName("mean")] float[] Mean,
    [property: JsonPropertyName("std")] float[] Std)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>The number of features this scaler transforms.</summary>
    [JsonIgnore]
    public int FeatureSize => Mean.Length;

    /// <summary>Mean and standard deviation of every feature of <paramref name="train"/>.</summary>
    public static FeatureScaler Fit(SampleSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new TrainingException("A feature scaler cannot be fitted on no samples.");
        var size = train.FeatureSize;
        var sum = new double[size];
        var features = train.Features.Span;
        for (var i = 0; i < train.Count; i++)
        {
            var row = features.Slice(i * size, size);
            for (var f = 0; f < size; f++) sum[f] += row[f];
        }
        var mean = new double[size];
        for (var f = 0; f < size; f++) mean[f] = sum[f] / train.Count;
        var squares = new double[size];
        for (var i = 0; i < train.Count; i++)
        {
            var row = features.Slice(i * size, size);
            for (var f = 0; f < size; f++)
            {
                var d = row[f] - mean[f];
                squares[f] += d * d;
            }
        }
        var std = new float[size];
        for (var f = 0; f < size; f++)
        {
            var s = Math.Sqrt(squares[f] / train.Count);
            std[f] = s > 1e-12 && double.IsFinite(s) ? (float)s : 1f;
        }
        return new FeatureScaler(mean.Select(m => (float)m).ToArray(), std);
    }

    /// <summary>The set with standardised features (a new set; labels are shared).</summary>
    public SampleSet Transform(SampleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.FeatureSize != FeatureSize)
            throw new TrainingException($"The feature scaler was fitted on {FeatureSize} features per sample, but these samples have {set.FeatureSize}.");
        var source = set.Features.Span;
        var result = new float[source.Length];
        for (var offset = 0; offset < source.Length; offset += FeatureSize)
            Transform(source.Slice(offset, FeatureSize), result.AsSpan(offset, FeatureSize));
        return set.WithFeatures(result);
    }

    /// <summary>Standardises one sample's features (or several, back to back) into <paramref name="destination"/>.</summary>
    public void Transform(ReadOnlySpan<float> features, Span<float> destination)
    {
        if (features.Length % FeatureSize != 0 || destination.Length < features.Length)
        {
            CheckSize(features.Length);
            throw new ArgumentException("The destination is shorter than the features.", nameof(destination));
        }
        for (var i = 0; i < features.Length; i++)
        {
            var f = i % FeatureSize;
            destination[i] = (features[i] - Mean[f]) / Std[f];
        }
    }

    /// <summary>Standardises features in place.</summary>
    public void TransformInPlace(Span<float> features) => Transform(features, features);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static FeatureScaler FromJson(string json)
    {
        var scaler = JsonSerializer.Deserialize<FeatureScaler>(json, Json)
            ?? throw new JsonException("A feature scaler cannot be null.");
        if (scaler.Mean is null || scaler.Std is null || scaler.Mean.Length != scaler.Std.Length || scaler.Mean.Length == 0)
            throw new JsonException("A feature scaler needs 'mean' and 'std' arrays of the same, non-zero length.");
        if (scaler.Std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new JsonException("A feature scaler's 'std' values must be positive numbers.");
        return scaler;
    }

    public void Save(string path) => File.WriteAllText(path, ToJson());

    public static FeatureScaler Load(string path) => FromJson(File.ReadAllText(path));

    /// <summary>Equal when both arrays hold the same values.</summary>
    public bool Equals(FeatureScaler? other) =>
        other is not null && Mean.AsSpan().SequenceEqual(other.Mean) && Std.AsSpan().SequenceEqual(other.Std);

    public override int GetHashCode() => HashCode.Combine(Mean.Length, Mean.FirstOrDefault(), Std.FirstOrDefault());

    private void CheckSize(int featureSize)
    {
        if (featureSize % FeatureSize != 0 || featureSize == 0)
            throw new TrainingException($"The feature scaler was fitted on {FeatureSize} features per sample, but these samples have {featureSize}.");
    }
}
