using KafkaMl.Core.Domain;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Inference;

/// <summary>One sample's prediction.</summary>
/// <param name="Values">The model's raw outputs for the sample, flattened (logits for the classification losses).</param>
/// <param name="Class">
/// The predicted class: argmax when there are several outputs; for a single output trained with
/// binary cross-entropy, 1 when <c>sigmoid(output) ≥ 0.5</c> (logit &gt; 0) else 0; null for a regression.
/// </param>
public sealed record Prediction(float[] Values, int? Class);

/// <summary>The outputs of one forward pass: <see cref="Count"/> rows of <see cref="Width"/> values.</summary>
public readonly struct PredictionBatch
{
    private readonly float[] _values;
    private readonly Loss? _loss;
    private readonly float[]? _upward;

    internal PredictionBatch(float[] values, int width, int count, Loss? loss, float[]? upward = null, int upwardWidth = 0) =>
        (_values, _loss, Width, Count, _upward, UpwardWidth) = (values, loss, width, count, upward, upwardWidth);

    /// <summary>Values per sample of what a chain stage hands upward (0 when the model is not a chain stage below the last).</summary>
    public int UpwardWidth { get; }

    /// <summary>What a chain stage hands the next stage for sample <paramref name="index"/> (empty for other models).</summary>
    public ReadOnlySpan<float> Upward(int index) => _upward is null ? default : _upward.AsSpan(index * UpwardWidth, UpwardWidth);

    public int Width { get; }

    public int Count { get; }

    /// <summary>The raw outputs of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Values(int index) => _values.AsSpan(index * Width, Width);

    /// <summary>The predicted class of sample <paramref name="index"/> (argmax; see <see cref="Objective.PredictedClass"/>).</summary>
    public int? Class(int index) => Objective.PredictedClass(_loss, Values(index));
}

/// <summary>The model threw on a batch (the message says which shape it was given and what it said).</summary>
public sealed class InferenceModelException(string message, Exception inner) : Exception(message, inner);
