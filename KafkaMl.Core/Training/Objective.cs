using KafkaMl.Core.Domain;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace KafkaMl.Core.Training;

/// <summary>
/// What a loss means for targets, outputs, metrics and predicted classes — shared by the trainer,
/// the evaluator and the predictor so they agree. Model outputs are read per sample, flattened to
/// <c>[n, k]</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>cross_entropy</c>: the model outputs one logit per class (k ≥ 2, no softmax layer);
/// labels are class indices (one float per sample holding 0, 1, ...), or one-hot vectors (argmax is taken).</item>
/// <item><c>binary_cross_entropy</c>: <c>BCEWithLogitsLoss</c> — the model outputs logits (no final
/// sigmoid layer), one per label element; labels are 0/1. The probability is <c>sigmoid(output)</c>.</item>
/// <item><c>mse</c> / <c>mae</c>: raw outputs against the labels, element by element (L2 / L1).</item>
/// </list>
/// </remarks>
internal sealed class Objective
{
    private readonly bool _accuracy;
    private readonly bool _mse;
    private readonly bool _mae;

    public Objective(Loss loss, IEnumerable<string>? metrics)
    {
        Loss = loss;
        Metrics = MetricNames.Normalize(metrics);
        _accuracy = Metrics.Contains(MetricNames.Accuracy);
        _mse = Metrics.Contains(MetricNames.Mse);
        _mae = Metrics.Contains(MetricNames.Mae);
    }

    public Loss Loss { get; }

    /// <summary>Canonical requested metric names (without <c>loss</c>).</summary>
    public IReadOnlyList<string> Metrics { get; }

    public bool IsClassification => Loss == Loss.CrossEntropy;

    /// <summary>
    /// The targets of a labelled set as one tensor: int64 class indices <c>[N]</c> for cross-entropy,
    /// float32 <c>[N, LabelSize]</c> otherwise. Also returns the largest class index (cross-entropy) for
    /// <see cref="CheckFit"/>. The tensor is detached from any dispose scope: the caller disposes it.
    /// </summary>
    public (Tensor Targets, long MaxClass) Targets(SampleSet set)
    {
        if (!set.HasLabels)
            throw new TrainingException("The samples carry no labels, so they cannot be used for training or evaluation.");
        var labels = set.Labels.Span;
        switch (Loss)
        {
            case Loss.CrossEntropy:
            {
                var classes = new long[set.Count];
                long max = -1;
                for (var i = 0; i < set.Count; i++)
                {
                    var label = labels.Slice(i * set.LabelSize, set.LabelSize);
                    long index;
                    if (label.Length == 1)
                    {
                        var value = label[0];
                        if (!float.IsFinite(value) || value < 0 || value != MathF.Floor(value) || value > int.MaxValue)
                            throw new TrainingException($"The label {value} of sample {i} is not a class index; cross_entropy needs labels 0, 1, 2, ... (one per sample) or one-hot vectors.");
                        index = (long)value;
                    }
                    else
                    {
                        index = 0;
                        for (var c = 1; c < label.Length; c++)
                            if (label[c] > label[(int)index]) index = c;
                    }
                    classes[i] = index;
                    if (index > max) max = index;
                }
                return (tensor(classes, [set.Count]).DetachFromDisposeScope(), max);
            }
            case Loss.BinaryCrossEntropy:
                for (var i = 0; i < labels.Length; i++)
                    if (!(labels[i] >= 0 && labels[i] <= 1))
                        throw new TrainingException($"The label value {labels[i]} of sample {i / set.LabelSize} is not in [0, 1]; binary_cross_entropy needs 0/1 labels.");
                return (set.LabelsTensor().DetachFromDisposeScope(), -1);
            default:
                return (set.LabelsTensor().DetachFromDisposeScope(), -1);
        }
    }

    /// <summary>The model's output for a batch of <paramref name="n"/> samples as <c>[n, k]</c>.</summary>
    public static Tensor Flatten(Tensor output, long n)
    {
        if (output.dim() == 0 || output.shape[0] != n)
            throw new TrainingException($"The model returned an output of shape {SampleSet.Describe(output.shape)} for a batch of {n} samples; its first dimension must be the batch.");
        return output.dim() == 2 ? output : output.reshape(n, -1);
    }

    /// <summary>Checks once that the model's outputs fit the labels; throws a <see cref="TrainingException"/> naming both shapes.</summary>
    public void CheckFit(Tensor output2d, SampleSet set, long maxClass)
    {
        var k = output2d.shape[1];
        if (output2d.dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new TrainingException($"The model returned {output2d.dtype} values; it must return floating-point values.");
        if (Loss == Loss.CrossEntropy)
        {
            if (k < 2)
                throw new TrainingException($"cross_entropy needs one output per class (at least 2), but the model outputs {k} value per sample; use binary_cross_entropy for a single output.");
            if (set.LabelSize > 1 && set.LabelSize != k)
                throw new TrainingException($"The labels are one-hot vectors of {set.LabelSize} classes, but the model outputs {k} values per sample.");
            if (maxClass >= k)
                throw new TrainingException($"The samples have class {maxClass}, but the model outputs only {k} values per sample (classes 0..{k - 1}).");
        }
        else if (k != set.LabelSize)
        {
            throw new TrainingException($"The model outputs {k} values per sample, but the labels have {set.LabelSize} (label shape {SampleSet.Describe(set.LabelShape)}); {Loss.ToName()} compares them element by element.");
        }
    }

    /// <summary>The mean loss of a batch (differentiable).</summary>
    public Tensor ComputeLoss(Tensor output2d, Tensor target) => Loss switch
    {
        Loss.CrossEntropy => F.cross_entropy(output2d, target),
        Loss.BinaryCrossEntropy => F.binary_cross_entropy_with_logits(output2d, target.to_type(output2d.dtype)),
        Loss.Mse => F.mse_loss(output2d, target.to_type(output2d.dtype)),
        Loss.Mae => F.l1_loss(output2d, target.to_type(output2d.dtype)),
        _ => throw new ArgumentOutOfRangeException(nameof(Loss), Loss, null),
    };

    /// <summary>
    /// The batch's loss and metric sums as one float64 vector — <c>[loss, correct?, squared error?,
    /// absolute error?]</c> — read back with a single copy. Call under <c>no_grad</c>.
    /// </summary>
    public Tensor BatchStatistics(Tensor loss, Tensor output2d, Tensor target)
    {
        var parts = new List<Tensor>(4) { loss.detach().to_type(ScalarType.Float64).reshape(1) };
        if (_accuracy) parts.Add(Correct(output2d, target).to_type(ScalarType.Float64).reshape(1));
        if (_mse || _mae)
        {
            var (predicted, expected) = Comparable(output2d, target);
            var difference = predicted.sub(expected);
            if (_mse) parts.Add(difference.square().sum().to_type(ScalarType.Float64).reshape(1));
            if (_mae) parts.Add(difference.abs().sum().to_type(ScalarType.Float64).reshape(1));
        }
        return cat(parts, 0);
    }

    /// <summary>How many accuracy trials a batch of <paramref name="n"/> samples with <paramref name="k"/> outputs holds.</summary>
    public long AccuracyCount(long n, long k) => Loss == Loss.BinaryCrossEntropy ? n * k : n;

    /// <summary>
    /// The class a sample's outputs predict: argmax over several outputs; for a single output,
    /// <c>sigmoid(output) ≥ 0.5</c> with binary cross-entropy, and no class for a regression.
    /// </summary>
    public static int? PredictedClass(Loss? loss, ReadOnlySpan<float> values)
    {
        if (values.Length > 1)
        {
            var best = 0;
            for (var i = 1; i < values.Length; i++)
                if (values[i] > values[best]) best = i;
            return best;
        }
        return loss == Domain.Loss.BinaryCrossEntropy && values.Length == 1 ? (values[0] > 0 ? 1 : 0) : null;
    }

    /// <summary>
    /// The number of classes of a confusion matrix, or null when the loss is not a classification:
    /// the outputs for cross-entropy, 2 for binary cross-entropy with a single output.
    /// </summary>
    public int? ConfusionClasses(long k) => Loss switch
    {
        Loss.CrossEntropy => (int)k,
        Loss.BinaryCrossEntropy when k == 1 => 2,
        _ => null,
    };

    /// <summary>The true and predicted class of every sample of a batch (int64 <c>[n]</c> each).</summary>
    public (Tensor True, Tensor Predicted) Classes(Tensor output2d, Tensor target) => Loss switch
    {
        Loss.CrossEntropy => (target, output2d.argmax(1)),
        Loss.BinaryCrossEntropy => (target.reshape(-1).ge(0.5).to_type(ScalarType.Int64), output2d.reshape(-1).gt(0).to_type(ScalarType.Int64)),
        _ => throw new InvalidOperationException($"{Loss.ToName()} has no classes."),
    };

    /// <summary>
    /// The class every sample of a batch is predicted to be (int64 <c>[n]</c>, as <see cref="Classes"/> picks it) and
    /// the probability the model gives that class (float32 <c>[n]</c>): the top softmax probability for cross-entropy;
    /// for binary cross-entropy with one output, <c>p = sigmoid(output)</c> and <c>max(p, 1 − p)</c>.
    /// </summary>
    public (Tensor Classes, Tensor Confidence) Confidences(Tensor output2d)
    {
        switch (Loss)
        {
            case Loss.CrossEntropy:
            {
                var (top, index) = output2d.softmax(1).max(1);
                return (index, top.to_type(ScalarType.Float32));
            }
            case Loss.BinaryCrossEntropy when output2d.shape[1] == 1:
            {
                var p = output2d.reshape(-1).sigmoid();
                return (output2d.reshape(-1).gt(0).to_type(ScalarType.Int64), maximum(p, p.neg().add(1)).to_type(ScalarType.Float32));
            }
            default:
                throw new TrainingException($"{Loss.ToName()} with {output2d.shape[1]} outputs per sample gives no single class with a probability.");
        }
    }

    private Tensor Correct(Tensor output2d, Tensor target)
    {
        switch (Loss)
        {
            case Loss.CrossEntropy:
                return output2d.argmax(1).eq(target).sum();
            case Loss.BinaryCrossEntropy:
                return output2d.gt(0).eq(target.ge(0.5)).sum();
            default:
                return output2d.shape[1] > 1
                    ? output2d.argmax(1).eq(target.argmax(1)).sum()
                    : output2d.ge(0.5).eq(target.ge(0.5)).sum();
        }
    }

    private (Tensor Predicted, Tensor Expected) Comparable(Tensor output2d, Tensor target) => Loss switch
    {
        Loss.CrossEntropy => (output2d.softmax(1), F.one_hot(target, output2d.shape[1]).to_type(output2d.dtype)),
        Loss.BinaryCrossEntropy => (output2d.sigmoid(), target.to_type(output2d.dtype)),
        _ => (output2d, target.to_type(output2d.dtype)),
    };
}

/// <summary>Sums a phase's batch statistics into the metrics dictionary (sample-weighted means).</summary>
internal sealed class MetricAccumulator(Objective objective)
{
    private double _loss;
    private long _samples;
    private double _correct;
    private long _trials;
    private double _squared;
    private double _absolute;
    private long _elements;

    public long Samples => _samples;

    /// <summary>Adds a batch's <see cref="Objective.BatchStatistics"/>; returns the batch's mean loss.</summary>
    public double Add(ReadOnlySpan<double> statistics, long n, long k)
    {
        var i = 0;
        var loss = statistics[i++];
        _loss += loss * n;
        _samples += n;
        if (objective.Metrics.Contains(MetricNames.Accuracy))
        {
            _correct += statistics[i++];
            _trials += objective.AccuracyCount(n, k);
        }
        var errors = false;
        if (objective.Metrics.Contains(MetricNames.Mse)) { _squared += statistics[i++]; errors = true; }
        if (objective.Metrics.Contains(MetricNames.Mae)) { _absolute += statistics[i++]; errors = true; }
        if (errors) _elements += n * k;
        return loss;
    }

    /// <summary><c>loss</c> plus the requested metrics; empty when no sample was added.</summary>
    public IReadOnlyDictionary<string, double> Result()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (_samples == 0) return result;
        result[MetricNames.Loss] = _loss / _samples;
        foreach (var metric in objective.Metrics)
        {
            result[metric] = metric switch
            {
                MetricNames.Accuracy => _trials == 0 ? 0 : _correct / _trials,
                MetricNames.Mse => _elements == 0 ? 0 : _squared / _elements,
                MetricNames.Mae => _elements == 0 ? 0 : _absolute / _elements,
                _ => throw new InvalidOperationException(metric),
            };
        }
        return result;
    }
}
