using System.Collections.Immutable;
using KafkaMl.Core.Formats;
using TorchSharp;
using static TorchSharp.torch;

namespace KafkaMl.Core.Training;

/// <summary>
/// Decoded samples held as two contiguous float arrays: features <c>[Count, ..FeatureShape]</c> and,
/// when the samples are labelled, labels <c>[Count, ..LabelShape]</c>. Immutable: every operation
/// returns a new set, so the engines can share a set's arrays with tensors.
/// </summary>
public sealed class SampleSet
{
    private readonly float[] _features;
    private readonly float[]? _labels;

    private SampleSet(float[] features, ImmutableArray<int> featureShape, float[]? labels, ImmutableArray<int> labelShape, int count)
    {
        _features = features;
        _labels = labels;
        FeatureShape = featureShape;
        LabelShape = labels is null ? [] : labelShape;
        FeatureSize = Product(featureShape);
        LabelSize = labels is null ? 0 : Product(labelShape);
        Count = count;
    }

    /// <summary>The number of samples.</summary>
    public int Count { get; }

    /// <summary>The shape of one sample's features (e.g. <c>[3]</c>, <c>[28, 28]</c>).</summary>
    public ImmutableArray<int> FeatureShape { get; }

    /// <summary>The number of floats of one sample's features.</summary>
    public int FeatureSize { get; }

    /// <summary>The shape of one sample's label (<c>[1]</c> for a scalar label); empty when unlabelled.</summary>
    public ImmutableArray<int> LabelShape { get; }

    /// <summary>The number of floats of one sample's label; 0 when unlabelled.</summary>
    public int LabelSize { get; }

    public bool HasLabels => _labels is not null;

    /// <summary>All features, sample after sample (<c>Count × FeatureSize</c> floats).</summary>
    public ReadOnlyMemory<float> Features => _features;

    /// <summary>All labels, sample after sample (<c>Count × LabelSize</c> floats); empty when unlabelled.</summary>
    public ReadOnlyMemory<float> Labels => _labels ?? ReadOnlyMemory<float>.Empty;

    /// <summary>One sample's features.</summary>
    public ReadOnlySpan<float> FeaturesOf(int index) => _features.AsSpan(checked(index * FeatureSize), FeatureSize);

    /// <summary>One sample's label; empty when unlabelled.</summary>
    public ReadOnlySpan<float> LabelOf(int index) =>
        _labels is null ? [] : _labels.AsSpan(checked(index * LabelSize), LabelSize);

    /// <summary>
    /// A set from decoded messages. Every sample must have the same feature shape, and either all or
    /// none carry a label, all of the same shape; otherwise a <see cref="TrainingException"/> names the
    /// first sample that differs.
    /// </summary>
    public static SampleSet FromSamples(IReadOnlyList<DecodedSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var builder = new Builder(samples.Count);
        foreach (var sample in samples) builder.Add(sample);
        return builder.Build();
    }

    /// <summary>
    /// A set over existing arrays (taken as they are, not copied: do not change them afterwards).
    /// <paramref name="features"/> holds <c>N × product(featureShape)</c> floats; <paramref name="labels"/>,
    /// when given, <c>N × product(labelShape)</c> (a null or empty <paramref name="labelShape"/> means one float per sample).
    /// </summary>
    public static SampleSet FromArrays(float[] features, IEnumerable<int> featureShape, float[]? labels = null, IEnumerable<int>? labelShape = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        var fShape = CheckShape([.. featureShape], "feature");
        var featureSize = Product(fShape);
        if (features.Length % featureSize != 0)
            throw new ArgumentException($"{features.Length} feature values are not a whole number of samples of shape {Describe(fShape)}.", nameof(features));
        var count = features.Length / featureSize;
        ImmutableArray<int> lShape = [];
        if (labels is not null)
        {
            lShape = labelShape is null ? [] : [.. labelShape];
            if (lShape.IsEmpty) lShape = [1];
            lShape = CheckShape(lShape, "label");
            if (labels.Length != count * Product(lShape))
                throw new ArgumentException($"{labels.Length} label values do not fit {count} samples with labels of shape {Describe(lShape)}.", nameof(labels));
        }
        return new SampleSet(features, fShape, labels, lShape, count);
    }

    /// <summary>
    /// The samples of <paramref name="parts"/> one after another (copied; a single part is returned as it is). The parts
    /// must have the same shapes (<see cref="Mismatch"/>).
    /// </summary>
    internal static SampleSet Concat(IReadOnlyList<SampleSet> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new TrainingException("There are no samples.");
        var first = parts[0];
        if (parts.Count == 1) return first;
        if (parts.Skip(1).Select(p => Mismatch(first, p)).FirstOrDefault(m => m is not null) is { } problem) throw new ArgumentException(problem, nameof(parts));
        var features = new float[checked(parts.Sum(p => p._features.Length))];
        var labels = first._labels is null ? null : new float[checked(parts.Sum(p => p._labels!.Length))];
        int featureAt = 0, labelAt = 0;
        foreach (var part in parts)
        {
            part._features.CopyTo(features, featureAt);
            featureAt += part._features.Length;
            if (labels is null) continue;
            part._labels!.CopyTo(labels, labelAt);
            labelAt += part._labels.Length;
        }
        return new SampleSet(features, first.FeatureShape, labels, first.LabelShape, parts.Sum(p => p.Count));
    }

    /// <summary>Why <paramref name="other"/>'s samples cannot follow <paramref name="set"/>'s (another shape, labels or none); null when they can.</summary>
    internal static string? Mismatch(SampleSet set, SampleSet other)
    {
        if (!other.FeatureShape.SequenceEqual(set.FeatureShape))
            return $"their features have shape {Describe(other.FeatureShape)}, those before them {Describe(set.FeatureShape)}.";
        if (other.HasLabels != set.HasLabels)
            return other.HasLabels ? "they carry labels, those before them do not." : "they carry no labels, those before them do.";
        if (other.HasLabels && !other.LabelShape.SequenceEqual(set.LabelShape))
            return $"their labels have shape {Describe(other.LabelShape)}, those before them {Describe(set.LabelShape)}.";
        return null;
    }

    /// <summary>Appends decoded samples one by one into growing arrays (no per-sample copy at <see cref="Build"/>).</summary>
    public static Builder CreateBuilder(int capacity = 0) => new(capacity);

    /// <summary>The samples at <paramref name="indices"/>, in that order (copied).</summary>
    public SampleSet Select(ReadOnlySpan<int> indices)
    {
        var features = new float[checked(indices.Length * FeatureSize)];
        var labels = _labels is null ? null : new float[checked(indices.Length * LabelSize)];
        for (var i = 0; i < indices.Length; i++)
        {
            var source = indices[i];
            if ((uint)source >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"Sample {source} is outside 0..{Count - 1}.");
            Array.Copy(_features, (long)source * FeatureSize, features, (long)i * FeatureSize, FeatureSize);
            if (labels is not null) Array.Copy(_labels!, (long)source * LabelSize, labels, (long)i * LabelSize, LabelSize);
        }
        return new SampleSet(features, FeatureShape, labels, LabelShape, indices.Length);
    }

    /// <summary>The same samples with other features (same count and shape); labels are shared.</summary>
    internal SampleSet WithFeatures(float[] features)
    {
        if (features.Length != _features.Length) throw new ArgumentException("The new features must have the same length.", nameof(features));
        return new SampleSet(features, FeatureShape, _labels, LabelShape, Count);
    }

    /// <summary>The same samples with <paramref name="labels"/> (<c>Count × product(labelShape)</c> floats, taken as they are); features are shared.</summary>
    internal SampleSet WithLabels(float[] labels, ImmutableArray<int> labelShape)
    {
        labelShape = CheckShape(labelShape, "label");
        if (labels.Length != (long)Count * Product(labelShape))
            throw new ArgumentException($"{labels.Length} label values do not fit {Count} samples with labels of shape {Describe(labelShape)}.", nameof(labels));
        return new SampleSet(_features, FeatureShape, labels, labelShape, Count);
    }

    /// <summary>
    /// The features of samples <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> as a
    /// float32 tensor (a copy of that slice only: a large set is never one tensor); the caller disposes it.
    /// </summary>
    internal Tensor FeaturesTensor(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count - start);
        var slice = _features.AsSpan(checked(start * FeatureSize), checked(count * FeatureSize)).ToArray();
        return tensor(slice, [count, .. FeatureShape.Select(d => (long)d)]);
    }

    /// <summary>
    /// Shuffles all samples with <paramref name="seed"/> (Fisher–Yates over a seeded <see cref="Random"/>,
    /// so the same seed gives the same split on every machine) and then cuts the shuffled order into
    /// train, validation and test, with the sizes of <see cref="SplitSizes"/>. Shuffling first matters:
    /// producers keyed by label put each class in its own partition, so the stream's order means nothing.
    /// </summary>
    public SampleSplit Split(double validationRate, double testRate, int seed)
    {
        var (train, validation, test) = SplitSizes(Count, validationRate, testRate);
        var order = new int[Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var random = new Random(seed);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return new SampleSplit(
            Select(order.AsSpan(0, train)),
            Select(order.AsSpan(train, validation)),
            Select(order.AsSpan(train + validation, test)));
    }

    /// <summary>
    /// How <see cref="Split"/> sizes the parts: validation = round(count × validationRate) and
    /// test = round(count × testRate), each rounded half away from zero; train gets the rest
    /// (e.g. 239 samples at 0.1 / 0.1 → 191 / 24 / 24; 10 at 0.25 / 0.25 → 4 / 3 / 3).
    /// Throws <see cref="TrainingException"/> when that would leave no training sample.
    /// </summary>
    public static (int Train, int Validation, int Test) SplitSizes(int count, double validationRate, double testRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ValidateRates(validationRate, testRate);
        var validation = (int)Math.Round(count * validationRate, MidpointRounding.AwayFromZero);
        var test = (int)Math.Round(count * testRate, MidpointRounding.AwayFromZero);
        var train = count - validation - test;
        if (count > 0 && train < 1)
            throw new TrainingException($"{count} samples are too few for a validation rate of {validationRate} and a test rate of {testRate}: no sample would be left for training.");
        return (Math.Max(train, 0), validation, test);
    }

    internal static void ValidateRates(double validationRate, double testRate)
    {
        if (!(validationRate >= 0 && validationRate < 1)) throw new ArgumentOutOfRangeException(nameof(validationRate), validationRate, "The validation rate must be in [0, 1).");
        if (!(testRate >= 0 && testRate < 1)) throw new ArgumentOutOfRangeException(nameof(testRate), testRate, "The test rate must be in [0, 1).");
        if (validationRate + testRate >= 1) throw new ArgumentException($"The validation rate ({validationRate}) and the test rate ({testRate}) together must stay below 1.");
    }

    /// <summary>The features as one float32 tensor <c>[Count, ..FeatureShape]</c> (the caller disposes it).</summary>
    public Tensor FeaturesTensor() => tensor(_features, [Count, .. FeatureShape.Select(d => (long)d)]);

    /// <summary>The labels as one float32 tensor <c>[Count, LabelSize]</c> (the caller disposes it).</summary>
    public Tensor LabelsTensor() => _labels is null
        ? throw new TrainingException("The samples carry no labels, so they cannot be used for training or evaluation.")
        : tensor(_labels, [Count, LabelSize]);

    internal static string Describe(IEnumerable<int> shape) => $"[{string.Join(", ", shape)}]";

    internal static string Describe(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    private static int Product(ImmutableArray<int> shape)
    {
        var product = 1;
        foreach (var d in shape) product = checked(product * d);
        return product;
    }

    private static ImmutableArray<int> CheckShape(ImmutableArray<int> shape, string what)
    {
        if (shape.IsEmpty) return [1];
        if (shape.Any(d => d < 1)) throw new ArgumentException($"The {what} shape {Describe(shape)} has a dimension below 1.");
        return shape;
    }

    /// <summary>Collects samples into growing arrays; see <see cref="CreateBuilder"/>.</summary>
    public sealed class Builder
    {
        private float[] _features = [];
        private float[]? _labels;
        private ImmutableArray<int> _featureShape;
        private ImmutableArray<int> _labelShape;
        private int _featureSize;
        private int _labelSize;
        private readonly int _capacity;

        internal Builder(int capacity) => _capacity = Math.Max(capacity, 0);

        public int Count { get; private set; }

        /// <summary>Appends one sample (copied); throws <see cref="TrainingException"/> when it does not match the first.</summary>
        public Builder Add(DecodedSample sample)
        {
            ArgumentNullException.ThrowIfNull(sample.Features);
            var featureShape = sample.FeatureShape.IsDefaultOrEmpty ? [sample.Features.Length] : sample.FeatureShape;
            if (Count == 0)
            {
                _featureShape = CheckShape(featureShape, "feature");
                _featureSize = Product(_featureShape);
                _features = new float[checked(Math.Max(_capacity, 16) * _featureSize)];
                if (sample.Label is not null)
                {
                    _labelShape = CheckShape(sample.LabelShape.IsDefaultOrEmpty ? [sample.Label.Length] : sample.LabelShape, "label");
                    _labelSize = Product(_labelShape);
                    _labels = new float[checked(Math.Max(_capacity, 16) * _labelSize)];
                }
            }
            else
            {
                if (!featureShape.SequenceEqual(_featureShape))
                    throw new TrainingException($"Sample {Count} has features of shape {Describe(featureShape)}, but the samples before it have shape {Describe(_featureShape)}.");
                if ((sample.Label is null) != (_labels is null))
                    throw new TrainingException(sample.Label is null
                        ? $"Sample {Count} carries no label, but the samples before it do."
                        : $"Sample {Count} carries a label, but the samples before it do not.");
                if (sample.Label is not null)
                {
                    var labelShape = sample.LabelShape.IsDefaultOrEmpty ? [sample.Label.Length] : sample.LabelShape;
                    if (!labelShape.SequenceEqual(_labelShape))
                        throw new TrainingException($"Sample {Count} has a label of shape {Describe(labelShape)}, but the samples before it have shape {Describe(_labelShape)}.");
                }
            }
            if (sample.Features.Length != _featureSize)
                throw new TrainingException($"Sample {Count} has {sample.Features.Length} feature values, which do not fill its shape {Describe(featureShape)}.");
            if (sample.Label is not null && sample.Label.Length != _labelSize)
                throw new TrainingException($"Sample {Count} has {sample.Label.Length} label values, which do not fill the label shape {Describe(_labelShape)}.");

            EnsureRoom(Count + 1);
            sample.Features.CopyTo(_features, (long)Count * _featureSize);
            if (_labels is not null) sample.Label!.CopyTo(_labels, (long)Count * _labelSize);
            Count++;
            return this;
        }

        /// <summary>The set of the samples added so far (arrays trimmed to size).</summary>
        public SampleSet Build()
        {
            if (Count == 0) throw new TrainingException("There are no samples.");
            var features = _features.Length == Count * _featureSize ? _features : _features.AsSpan(0, Count * _featureSize).ToArray();
            var labels = _labels is null || _labels.Length == Count * _labelSize ? _labels : _labels.AsSpan(0, Count * _labelSize).ToArray();
            return new SampleSet(features, _featureShape, labels, _labelShape, Count);
        }

        private void EnsureRoom(int count)
        {
            if ((long)count * _featureSize <= _features.Length) return;
            var samples = Math.Max(count, (int)Math.Min(int.MaxValue / Math.Max(_featureSize, 1), (long)count * 2));
            Array.Resize(ref _features, checked(samples * _featureSize));
            if (_labels is not null) Array.Resize(ref _labels, checked(samples * _labelSize));
        }
    }
}

/// <summary>The parts of a <see cref="SampleSet.Split"/>; validation and test may be empty (rate 0).</summary>
public sealed record SampleSplit(SampleSet Train, SampleSet Validation, SampleSet Test)
{
    /// <summary>
    /// The three parts standardised with a <see cref="FeatureScaler"/> fitted on <see cref="Train"/>
    /// only (so nothing of the validation or test samples leaks into training); keep the scaler with
    /// the weights so inference applies the same transform.
    /// </summary>
    public (SampleSplit Split, FeatureScaler Scaler) Standardize()
    {
        var scaler = FeatureScaler.Fit(Train);
        return (new SampleSplit(scaler.Transform(Train), scaler.Transform(Validation), scaler.Transform(Test)), scaler);
    }
}
