using KafkaMl.Core.Inference;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace KafkaMl.Core.Chains;

/// <summary>
/// Stage <see cref="Stage"/> (1-based) of a trained <see cref="EarlyExitChain"/> as an inference replica serves it:
/// it receives the chain's input (stage 1) or what the stage below handed upward, and gives its exit's class scores
/// (the final stage's output for the last stage) and, below the last stage, its body's output to forward upward
/// (<see cref="IStagedModule"/>). Its forward is the exit's scores. Owns the chain: disposing the stage disposes it.
/// </summary>
public sealed class ChainStageModule : Module<Tensor, Tensor>, IStagedModule
{
    private readonly EarlyExitChain _chain;

    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stage"/> is not one of the chain's stages.</exception>
    public ChainStageModule(EarlyExitChain chain, int stage)
        : base($"stage{stage}")
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentOutOfRangeException.ThrowIfLessThan(stage, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stage, chain.ExitCount);
        _chain = chain;
        Stage = stage;
    }

    public int Stage { get; }

    /// <summary>The chain's stage count (its exits).</summary>
    public int Stages => _chain.ExitCount;

    public bool IsFinal => Stage == _chain.ExitCount;

    public override Tensor forward(Tensor input) => ForwardStage(input).Output;

    public (Tensor? Upward, Tensor Output) ForwardStage(Tensor input)
    {
        if (IsFinal) return (null, _chain.Final.call(input));
        var stage = _chain.Stages[Stage - 1];
        var upward = stage.Body.call(input);
        return (upward, stage.Exit.call(upward));
    }

    // The chain's modules are not registered as this module's children: switch them with it (eval() for inference).
    public override void train(bool train = true)
    {
        base.train(train);
        _chain.train(train);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _chain.Dispose();
        base.Dispose(disposing);
    }
}
