using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Chains;

/// <summary>
/// What a model script calls to build an early-exit chain; imported for every script
/// (<see cref="Scripting.ModelScriptEnvironment.Imports"/>), so it reads:
/// <code>
/// EarlyExitChain(
///     Stage(Sequential(("fc", Linear(4, 16)), ("relu", ReLU())), Linear(16, 3)),   // edge: body, exit
///     Stage(Sequential(("fc", Linear(16, 16)), ("relu", ReLU())), Linear(16, 3)),  // fog
///     Linear(16, 3))                                                                // cloud: the final stage
/// .WithExitWeights(1, 1, 2)
/// </code>
/// </summary>
public static class ChainScript
{
    /// <summary>A stage below the final one: <paramref name="body"/> hands its output upward, <paramref name="exit"/> turns it into class scores.</summary>
    public static ChainStage Stage(Module<Tensor, Tensor> body, Module<Tensor, Tensor> exit) => new(body, exit);

    /// <summary>
    /// The chain of <paramref name="stages"/>: each but the last a <see cref="Stage"/>, the last a plain module (the final
    /// stage). A single stage is refused: without an early exit it is a plain model.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two stages, a stage of the wrong kind, or a module used twice.</exception>
    public static EarlyExitChain EarlyExitChain(params Module<Tensor, Tensor>[] stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        if (stages.Length < 2) throw new ArgumentException(Chains.EarlyExitChain.OneStage, nameof(stages));
        for (var k = 1; k < stages.Length; k++)
        {
            if (stages[k - 1] is not ChainStage)
                throw new ArgumentException(
                    $"Stage {k} of the chain is a {stages[k - 1]?.GetType().Name ?? "null"}, not a Stage(body, exit): every stage but the last needs an exit head.",
                    nameof(stages));
        }
        if (stages[^1] is ChainStage)
            throw new ArgumentException(
                $"The last stage (stage {stages.Length}) is the final one, whose output is the last exit: give it as a plain module, not as Stage(body, exit).",
                nameof(stages));
        return new Chains.EarlyExitChain(stages[..^1].Cast<ChainStage>(), stages[^1]);
    }
}
