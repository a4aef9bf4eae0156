using System.Globalization;
using KafkaMl.Core.Training;
using static TorchSharp.torch;

namespace KafkaMl.Core.Chains;

/// <summary>
/// One stage of an early-exit chain as the model check shows it:
/// <c>{"stage":1,"parameters":80,"exitParameters":51,"inputShape":[1,4],"upwardShape":[1,16],"exitShape":[1,3]}</c>.
/// The final stage (the last one) has no exit head of its own: its output is the last exit (<see cref="ExitShape"/>),
/// <see cref="ExitParameters"/> and <see cref="UpwardShape"/> are null. The shapes are those of a batch of one, and
/// null when the check knew no input shape.
/// </summary>
/// <param name="Stage">1-based; stage k's exit is exit k.</param>
/// <param name="Parameters">The parameters of the stage's body (of the whole final stage for the last one).</param>
/// <param name="ExitParameters">The parameters of the stage's exit head; null for the final stage.</param>
/// <param name="InputShape">What the stage receives: the model's input for stage 1, else what the stage below hands upward.</param>
/// <param name="UpwardShape">The tensor the stage hands upward (its body's output); null for the final stage.</param>
/// <param name="ExitShape">The exit's output: the class scores answered at this stage.</param>
public sealed record ChainStageCheck(
    int Stage,
    long Parameters,
    long? ExitParameters,
    IReadOnlyList<long>? InputShape,
    IReadOnlyList<long>? UpwardShape,
    IReadOnlyList<long>? ExitShape);

/// <summary>The model check of an <see cref="EarlyExitChain"/>: its stages and, given an input shape, a dry forward pass stage by stage.</summary>
public static class ChainCheck
{
    /// <summary>
    /// The chain's stages; with <paramref name="inputShape"/> (one sample, no batch dimension) also every stage's shapes
    /// from a dry forward pass on a zero batch of one, in <c>eval()</c> mode without gradients.
    /// </summary>
    /// <exception cref="ChainShapeException">
    /// The stages do not connect (a stage cannot take what the one below hands upward), or an exit's scores do not have
    /// the final stage's shape; the message names the stages and the shapes.
    /// </exception>
    public static IReadOnlyList<ChainStageCheck> Inspect(EarlyExitChain chain, IReadOnlyList<long>? inputShape)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var stages = chain.Stages
            .Select((s, i) => new ChainStageCheck(i + 1, Count(s.Body), Count(s.Exit), null, null, null))
            .Append(new ChainStageCheck(chain.ExitCount, Count(chain.Final), null, null, null, null))
            .ToList();
        if (inputShape is null) return stages;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        chain.eval();
        var outputs = chain.Run(zeros([1, .. inputShape]));
        IReadOnlyList<long> received = [1, .. inputShape];
        for (var k = 0; k < outputs.Count; k++)
        {
            var (upward, exit) = outputs[k];
            stages[k] = stages[k] with { InputShape = received, UpwardShape = upward?.shape, ExitShape = exit.shape };
            if (upward is not null) received = upward.shape;
        }
        var finalShape = outputs[^1].Exit.shape;
        if (stages.FirstOrDefault(s => s.UpwardShape is not null && !s.ExitShape!.SequenceEqual(finalShape)) is { } odd)
        {
            throw new ChainShapeException(odd.Stage, string.Create(CultureInfo.InvariantCulture,
                $"Every exit must answer with the same class scores: stage {odd.Stage}'s exit gives {SampleSet.Describe(odd.ExitShape!)}, but the final stage (stage {chain.ExitCount}) gives {SampleSet.Describe(finalShape)}."), null);
        }
        return stages;
    }

    private static long Count(TorchSharp.torch.nn.Module module) => module.parameters().Sum(p => p.numel());
}
