namespace KafkaMl.Core.Training;

/// <summary>
/// A <see cref="FeatureScaler"/> kept up to date over a stream: fitted on the first set it sees, then updated with
/// every further set as a running mean and variance (Chan et al.'s parallel update of Welford's sums), so after
/// any number of windows it equals the scaler fitted on all their samples at once.
/// </summary>
public sealed class RunningScaler
{
    private double[] _mean = [];
    private double[] _squares = []; // sum of squared deviations from the mean, per feature

    /// <summary>Samples seen so far.</summary>
    public long Count { get; private set; }

    /// <summary>
    /// A running scaler that goes on from <paramref name="scaler"/>, fitted on <paramref name="count"/> samples (a job that
    /// resumes from a published version). A constant feature's deviation of 1 counts as such: it is only centred anyway.
    /// </summary>
    public static RunningScaler Resume(FeatureScaler scaler, long count)
    {
        ArgumentNullException.ThrowIfNull(scaler);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return new RunningScaler
        {
            _mean = [.. scaler.Mean.Select(m => (double)m)],
            _squares = [.. scaler.Std.Select(s => (double)s * s * count)],
            Count = count,
        };
    }

    /// <summary>Adds the samples of <paramref name="set"/> to the running statistics.</summary>
    public void Update(SampleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (set.Count == 0) return;
        var fitted = FeatureScaler.Fit(set);
        if (Count > 0 && fitted.FeatureSize != _mean.Length)
            throw new TrainingException($"The feature scaler was fitted on {_mean.Length} features per sample, but these samples have {fitted.FeatureSize}.");
        if (Count == 0)
        {
            _mean = new double[fitted.FeatureSize];
            _squares = new double[fitted.FeatureSize];
        }
        long n = set.Count, total = Count + n;
        for (var f = 0; f < _mean.Length; f++)
        {
            // The set's own sum of squares from its (population) deviation; a constant feature's deviation is 1
            // in the scaler, so it is computed again here.
            var setMean = (double)fitted.Mean[f];
            var setSquares = SquaresOf(set, f, setMean);
            var delta = setMean - _mean[f];
            _mean[f] += delta * n / total;
            _squares[f] += setSquares + delta * delta * Count * n / total;
        }
        Count = total;
    }

    /// <summary>The scaler of every sample seen so far (constant features get a deviation of 1, as in <see cref="FeatureScaler.Fit"/>).</summary>
    public FeatureScaler ToScaler()
    {
        if (Count == 0) throw new TrainingException("A feature scaler cannot be fitted on no samples.");
        var std = new float[_mean.Length];
        for (var f = 0; f < std.Length; f++)
        {
            var s = Math.Sqrt(_squares[f] / Count);
            std[f] = s > 1e-12 && double.IsFinite(s) ? (float)s : 1f;
        }
        return new FeatureScaler([.. _mean.Select(m => (float)m)], std);
    }

    private static double SquaresOf(SampleSet set, int feature, double mean)
    {
        var size = set.FeatureSize;
        var features = set.Features.Span;
        var sum = 0.0;
        for (var i = 0; i < set.Count; i++)
        {
            var d = features[i * size + feature] - mean;
            sum += d * d;
        }
        return sum;
    }
}
