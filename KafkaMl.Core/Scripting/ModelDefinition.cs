using TorchSharp;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// What a model script may return instead of a bare module: the module plus the training settings the script
/// wants to fix. Every setting is optional; a deployment's own settings fill the gaps.
/// </summary>
/// <example>
/// <code>
/// new ModelDefinition(Sequential(("fc1", Linear(3, 4)), ("sig", Sigmoid()), ("fc2", Linear(4, 2))))
/// {
///     Loss = "cross_entropy", Optimizer = "adam", LearningRate = 0.01, Metrics = ["accuracy"], InputShape = [3],
/// }
/// </code>
/// </example>
/// <param name="Module">The network: one tensor in (a batch), one tensor out.</param>
public sealed record ModelDefinition(torch.nn.Module<torch.Tensor, torch.Tensor> Module)
{
    /// <summary>A loss name as the API spells it (<c>cross_entropy</c>, <c>binary_cross_entropy</c>, <c>mse</c>, <c>mae</c>).</summary>
    public string? Loss { get; init; }

    /// <summary>An optimizer name as the API spells it (<c>sgd</c>, <c>adam</c>, <c>adamw</c>, <c>rmsprop</c>).</summary>
    public string? Optimizer { get; init; }

    public double? LearningRate { get; init; }

    /// <summary>Metric names (<c>accuracy</c>, <c>mse</c>, <c>mae</c>, ...).</summary>
    public IReadOnlyList<string>? Metrics { get; init; }

    /// <summary>The shape of one sample, without the batch dimension (e.g. <c>[3]</c> or <c>[1, 28, 28]</c>).</summary>
    public IReadOnlyList<long>? InputShape { get; init; }

    /// <summary>
    /// The definition a script's return value stands for: a <see cref="ModelDefinition"/> as is, a bare module
    /// wrapped; anything else is an error naming the type.
    /// </summary>
    /// <exception cref="InvalidOperationException">The value is neither.</exception>
    public static ModelDefinition FromScriptResult(object? value) => value switch
    {
        ModelDefinition definition => definition,
        torch.nn.Module<torch.Tensor, torch.Tensor> module => new ModelDefinition(module),
        null => throw new InvalidOperationException("The model script returned null instead of a model."),
        _ => throw new InvalidOperationException(
            $"The model script returned a {value.GetType().FullName}; expected a Module<Tensor, Tensor> or a ModelDefinition."),
    };
}
