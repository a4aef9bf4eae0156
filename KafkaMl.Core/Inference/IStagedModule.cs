using static TorchSharp.torch;

namespace KafkaMl.Core.Inference;

/// <summary>
/// A module that is one stage of a network cut into stages (<see cref="Chains.ChainStageModule"/>): one pass gives
/// what the stage answers with and what it would hand the next stage. <see cref="InferenceModel.Predict(float[], ReadOnlySpan{long}, int)"/>
/// keeps both, so a chain stage decides per sample whether to answer or to forward without a second pass.
/// </summary>
public interface IStagedModule
{
    /// <summary>The stage's features for the next stage (null for the last stage) and its output (class scores).</summary>
    (Tensor? Upward, Tensor Output) ForwardStage(Tensor input);
}
