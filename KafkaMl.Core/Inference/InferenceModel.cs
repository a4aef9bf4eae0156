using System.Globalization;
using KafkaMl.Core.Domain;
using KafkaMl.Core.Formats;
using KafkaMl.Core.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Inference;

/// <summary>
/// A trained model as an inference replica uses it: checks that a decoded message fits the model's input,
/// applies the training's <see cref="FeatureScaler"/>, and predicts many messages in one forward pass
/// (<c>eval()</c>, <c>no_grad</c>, one dispose scope per batch). The one prediction code: tests, benchmarks and
/// evaluations predict sample sets with it too (<see cref="Predict(SampleSet, int, CancellationToken)"/>).
/// </summary>
/// <remarks>Not thread-safe: one instance per consuming thread.</remarks>
public sealed class InferenceModel
{
    private readonly Module<Tensor, Tensor> _module;
    private readonly long[]? _inputShape;
    private readonly long _inputCount;
    private float[] _output = new float[256];
    private float[] _upward = [];
    private long _calls;

    /// <param name="module">The trained network (put in <c>eval()</c> mode here).</param>
    /// <param name="scaler">The standardisation fitted at training time, or null.</param>
    /// <param name="loss">The training loss: decides how a single output becomes a class (see <see cref="Objective.PredictedClass"/>).</param>
    /// <param name="inputShape">
    /// The shape of one sample when the model declares it (<see cref="Scripting.ModelDefinition.InputShape"/>):
    /// a message with another number of values is refused, one with the same number is reshaped to it.
    /// </param>
    public InferenceModel(Module<Tensor, Tensor> module, FeatureScaler? scaler = null, Loss? loss = null, IReadOnlyList<long>? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        _module = module;
        _module.eval();
        Scaler = scaler;
        Loss = loss;
        if (inputShape is { Count: > 0 })
        {
            if (inputShape.Any(d => d <= 0)) throw new ArgumentException($"The input shape {Describe(inputShape)} has a dimension that is not positive.", nameof(inputShape));
            _inputShape = [.. inputShape];
            _inputCount = _inputShape.Aggregate(1L, (a, b) => a * b);
            if (scaler is not null && scaler.FeatureSize != _inputCount)
                throw new ArgumentException($"The model takes samples of shape {Describe(_inputShape)} ({_inputCount} values), but its feature scaler was fitted on {scaler.FeatureSize}.", nameof(scaler));
        }
    }

    public Module<Tensor, Tensor> Module => _module;

    public FeatureScaler? Scaler { get; }

    public Loss? Loss { get; }

    /// <summary>The declared shape of one sample, if any.</summary>
    public IReadOnlyList<long>? InputShape => _inputShape;

    /// <summary>Forward passes run so far (a micro-batch is one).</summary>
    public long ModelCalls => Interlocked.Read(ref _calls);

    /// <summary>
    /// Why <paramref name="sample"/> cannot be given to this model (its number of values differs from what
    /// the declared input shape or the feature scaler expects); null when it can. Models that declare
    /// nothing are checked by running them.
    /// </summary>
    public string? Problem(in DecodedSample sample)
    {
        var count = sample.Features.Length;
        if (_inputShape is not null && count != _inputCount)
            return $"The message has {Values(count)} (shape {Describe(sample.FeatureShape)}), but the model takes samples of shape {Describe(_inputShape)} ({Values(_inputCount)}).";
        if (Scaler is not null && count != Scaler.FeatureSize)
            return $"The message has {Values(count)} (shape {Describe(sample.FeatureShape)}), but the model was trained on samples of {Values(Scaler.FeatureSize)}.";
        return count == 0 ? "The message has no values." : null;
    }

    /// <summary>The shape one sample of <paramref name="sample"/>'s kind is given to the model in (without the batch dimension).</summary>
    public long[] TensorShape(in DecodedSample sample)
    {
        if (_inputShape is not null) return _inputShape;
        var shape = new long[sample.FeatureShape.Length];
        for (var i = 0; i < shape.Length; i++) shape[i] = sample.FeatureShape[i];
        return shape;
    }

    /// <summary>
    /// Predicts <paramref name="count"/> samples of <paramref name="sampleShape"/> whose values lie back to back
    /// in <paramref name="features"/> (scaled here, in place). The result's values are valid until the next call.
    /// </summary>
    /// <exception cref="InferenceModelException">The model failed on these samples (wrong shape, a bad layer, ...).</exception>
    public PredictionBatch Predict(float[] features, ReadOnlySpan<long> sampleShape, int count)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Scaler?.TransformInPlace(features);
        var dims = new long[sampleShape.Length + 1];
        dims[0] = count;
        sampleShape.CopyTo(dims.AsSpan(1));

        Interlocked.Increment(ref _calls);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        try
        {
            var x = tensor(features, dims);
            Tensor? upward = null;
            Tensor output;
            if (_module is IStagedModule staged) (upward, output) = staged.ForwardStage(x);
            else output = _module.forward(x);
            var flat = Objective.Flatten(output, count).to_type(ScalarType.Float32).contiguous();
            var width = (int)flat.shape[1];
            var total = count * width;
            if (_output.Length < total) _output = new float[Math.Max(total, _output.Length * 2)];
            flat.data<float>().CopyTo(_output, 0, 0);
            if (upward is null) return new PredictionBatch(_output, width, count, Loss);
            // A chain stage's features for the next stage, kept from the same pass: forwarded for the samples it does not answer.
            var up = upward.reshape(count, -1).to_type(ScalarType.Float32).contiguous();
            var upWidth = (int)up.shape[1];
            if (_upward.Length < count * upWidth) _upward = new float[Math.Max(count * upWidth, _upward.Length * 2)];
            up.data<float>().CopyTo(_upward, 0, 0);
            return new PredictionBatch(_output, width, count, Loss, _upward, upWidth);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            throw new InferenceModelException(
                $"The model failed on {(count == 1 ? "this sample" : $"a batch of {count} samples")} of shape {Describe(sampleShape.ToArray())}: {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>Predicts every sample of a set (labels, if any, are ignored), <paramref name="batchSize"/> per forward pass.</summary>
    public IReadOnlyList<Prediction> Predict(SampleSet samples, int batchSize = Evaluator.DefaultBatchSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _module.eval();
        var shape = samples.FeatureShape.Select(d => (long)d).ToArray();
        var predictions = new List<Prediction>(samples.Count);
        for (var start = 0; start < samples.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var size = Math.Min(batchSize, samples.Count - start);
            var batch = Predict(samples.Features.Slice(start * samples.FeatureSize, size * samples.FeatureSize).ToArray(), shape, size);
            for (var i = 0; i < size; i++) predictions.Add(new Prediction(batch.Values(i).ToArray(), batch.Class(i)));
        }
        return predictions;
    }

    /// <summary>Predicts decoded messages (all of the same feature shape), in one or more batches.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<DecodedSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) return [];
        var set = SampleSet.FromSamples([.. samples.Select(s => s with { Label = null, LabelShape = [] })]);
        return Predict(set, cancellationToken: cancellationToken);
    }

    /// <summary>Predicts one sample of the given shape (flat when <paramref name="shape"/> is empty).</summary>
    public Prediction Predict(ReadOnlySpan<float> features, ReadOnlySpan<int> shape = default)
    {
        _module.eval();
        long[] dims = shape.IsEmpty ? [features.Length] : [.. shape.ToArray().Select(d => (long)d)];
        var batch = Predict(features.ToArray(), dims, 1);
        return new Prediction(batch.Values(0).ToArray(), batch.Class(0));
    }

    internal static string Describe(IEnumerable<long> shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    internal static string Describe(IEnumerable<int> shape) => Describe(shape.Select(d => (long)d));

    private static string Values(long n) => n == 1 ? "1 value" : $"{n} values";

    private static string FirstLine(string message)
    {
        var line = message.Split('\n')[0].Trim();
        return line.Length <= 300 ? line : line[..297] + "...";
    }
}
