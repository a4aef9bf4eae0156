using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Training;

/// <summary>One sample's prediction.</summary>
/// <param name="Values">The model's raw outputs for the sample, flattened (logits for the classification losses).</param>
/// <param name="Class">
/// The predicted class: argmax when there are several outputs; for a single output trained with
/// binary cross-entropy, 1 when <c>sigmoid(output) ≥ 0.5</c> (logit &gt; 0) else 0; null for a regression.
/// </param>
public sealed record Prediction(float[] Values, int? Class);

/// <summary>
/// Batched in-process prediction: applies the training's <see cref="FeatureScaler"/> (when given),
/// runs the model in <c>eval()</c> mode under <c>no_grad</c>, one dispose scope per batch.
/// </summary>
/// <remarks>Not thread-safe: one predictor per thread (it sets the model's mode).</remarks>
public sealed class Predictor
{
    private readonly Module<Tensor, Tensor> _model;

    /// <param name="model">The trained model.</param>
    /// <param name="scaler">The standardisation fitted at training time, or null when features were used as they came.</param>
    /// <param name="loss">The loss the model was trained with: decides how a single output becomes a class.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    public Predictor(Module<Tensor, Tensor> model, FeatureScaler? scaler = null, Loss? loss = null, int batchSize = Evaluator.DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _model = model;
        Scaler = scaler;
        Loss = loss;
        BatchSize = batchSize;
    }

    public FeatureScaler? Scaler { get; }

    public Loss? Loss { get; }

    public int BatchSize { get; }

    /// <summary>Predicts every sample of a set (labels, if any, are ignored).</summary>
    public IReadOnlyList<Prediction> Predict(SampleSet samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var predictions = new List<Prediction>(samples.Count);
        var features = samples.Features.Span;
        for (var start = 0; start < samples.Count; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var size = Math.Min(BatchSize, samples.Count - start);
            predictions.AddRange(PredictBatch(features.Slice(start * samples.FeatureSize, size * samples.FeatureSize), samples.FeatureShape.AsSpan(), size));
        }
        return predictions;
    }

    /// <summary>Predicts decoded messages (all of the same feature shape), in one or more batches.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<DecodedSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) return [];
        var set = SampleSet.FromSamples([.. samples.Select(s => s with { Label = null, LabelShape = [] })]);
        return Predict(set, cancellationToken);
    }

    /// <summary>Predicts one sample of the given shape (flat when <paramref name="shape"/> is empty).</summary>
    public Prediction Predict(ReadOnlySpan<float> features, ReadOnlySpan<int> shape = default) =>
        PredictBatch(features, shape.IsEmpty ? [features.Length] : shape, 1)[0];

    private Prediction[] PredictBatch(ReadOnlySpan<float> features, ReadOnlySpan<int> sampleShape, int count)
    {
        var input = features.ToArray();
        Scaler?.TransformInPlace(input);
        var dims = new long[sampleShape.Length + 1];
        dims[0] = count;
        for (var i = 0; i < sampleShape.Length; i++) dims[i + 1] = sampleShape[i];

        _model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = tensor(input, dims);
        Tensor output;
        try
        {
            output = _model.forward(x);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            throw new TrainingException($"The model cannot take samples of shape {SampleSet.Describe(sampleShape.ToArray())}: {e.Message.Split('\n')[0].Trim()}", e);
        }
        var flat = Objective.Flatten(output, count).to_type(ScalarType.Float32).contiguous();
        var width = (int)flat.shape[1];
        var values = flat.data<float>().ToArray();
        var result = new Prediction[count];
        for (var i = 0; i < count; i++)
        {
            var sample = values.AsSpan(i * width, width).ToArray();
            result[i] = new Prediction(sample, Objective.PredictedClass(Loss, sample));
        }
        return result;
    }
}
