using static TorchSharp.torch;

namespace KafkaMl.Core.Training;

/// <summary>
/// The trainer's seam for a model trained on several outputs of one forward pass at once (an early-exit chain's
/// exits, <see cref="Chains.ChainObjective"/>): it replaces the objective's loss of the model's single output with a
/// loss of its own and adds the metrics of the other outputs to every epoch's report. The plain metrics stay those of
/// the model's main output, under their plain names.
/// </summary>
internal interface IJointObjective
{
    /// <summary>
    /// One training batch's forward pass (inside the batch's dispose scope, with gradients): the main output as
    /// <c>[n, k]</c>, that output's own loss (for the plain metrics) and the loss to minimise. Counts the other outputs'
    /// metrics of the batch. <paramref name="first"/>: the first batch of the run, when outputs are checked against the labels.
    /// </summary>
    (Tensor Output, Tensor OutputLoss, Tensor Loss) TrainBatch(Tensor input, Tensor target, SampleSet samples, long maxClass, bool first);

    /// <summary>The epoch's training metrics: <paramref name="plain"/> plus those of the other outputs since the last call.</summary>
    IReadOnlyDictionary<string, double> TrainMetrics(IReadOnlyDictionary<string, double> plain);

    /// <summary>The validation metrics: <paramref name="plain"/> (the main output's) plus those of the other outputs on <paramref name="validation"/>.</summary>
    IReadOnlyDictionary<string, double> ValidationMetrics(
        IReadOnlyDictionary<string, double> plain, SampleSet validation, Tensor features, Tensor targets, long maxClass, int batchSize,
        CancellationToken cancellationToken);
}
