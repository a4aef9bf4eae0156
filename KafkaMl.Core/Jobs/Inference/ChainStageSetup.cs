using KafkaMl.Core.Chains;
using KafkaMl.Core.Inference;
using KafkaMl.Core.Orchestration;

namespace KafkaMl.Core.Jobs.Inference;

/// <summary>
/// A replica of one stage of an early-exit chain: the trained chain (built and loaded as any model) narrowed to its
/// stage (<see cref="ChainStageModule"/>), and the engine's <see cref="ChainStageRole"/>.
/// </summary>
public static class ChainStageSetup
{
    /// <summary>
    /// Stage <c>spec.Stage</c> of <paramref name="whole"/>: stage 1 takes the chain's input (with its scaler and declared
    /// shape); a later stage takes what the stage below hands upward, whose shape a dry pass of the stages below on zeros of
    /// the chain's input tells (no declared shape when the input's is unknown: a wrong tensor then fails in the model).
    /// </summary>
    /// <exception cref="InferenceSetupException">The model is not a chain of <c>spec.Stages</c> stages, or its stages do not connect.</exception>
    public static InferenceModel Stage(InferenceModel whole, ChainStageSpec spec)
    {
        ArgumentNullException.ThrowIfNull(whole);
        ArgumentNullException.ThrowIfNull(spec);
        if (whole.Module is not EarlyExitChain chain)
            throw new InferenceSetupException($"The model is not an early-exit chain (its script does not end in EarlyExitChain(...)), so it cannot serve as stage {spec.Stage} of a chain.");
        if (chain.ExitCount != spec.Stages)
            throw new InferenceSetupException($"The model is a chain of {chain.ExitCount} stages, but the inference was deployed as {spec.Stages} stages.");
        var inputShape = whole.InputShape;
        if (spec.Stage > 1)
        {
            var first = whole.InputShape ?? spec.FirstInputShape;
            try
            {
                inputShape = first is null ? null : [.. ChainCheck.Inspect(chain, first)[spec.Stage - 1].InputShape!.Skip(1)];
            }
            catch (ChainShapeException e)
            {
                throw new InferenceSetupException(e.Message, e);
            }
        }
        return new InferenceModel(new ChainStageModule(chain, spec.Stage), spec.Stage == 1 ? whole.Scaler : null, whole.Loss, inputShape);
    }

    /// <summary>The engine's part: the stage, its threshold, and the Kafka of the answers and of the next stage (null: <paramref name="portalBootstrap"/>).</summary>
    public static ChainStageRole Role(ChainStageSpec spec, string portalBootstrap)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new ChainStageRole
        {
            Stage = spec.Stage,
            Stages = spec.Stages,
            UpperTopic = spec.UpperTopic,
            UpperBootstrapServers = spec.UpperBootstrapServers ?? portalBootstrap,
            OutputBootstrapServers = spec.OutputBootstrapServers ?? portalBootstrap,
            Threshold = spec.Threshold ?? 0,
        };
    }
}
