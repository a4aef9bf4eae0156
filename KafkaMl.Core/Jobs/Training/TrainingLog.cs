using System.Globalization;
using System.Text;
using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Training;

namespace KafkaMl.Core.Jobs.Training;

/// <summary>The training job's log lines that more than one stage writes.</summary>
public static class TrainingLog
{
    /// <summary>The spec's line: <c>model 'm' (id 1) of deployment 2: batch size 10, 5 epochs, adam lr 0.001, ...</c>.</summary>
    public static string Describe(TrainingJobSpec spec) => string.Create(CultureInfo.InvariantCulture,
        $"model '{spec.ModelName}' (id {spec.ModelId}) of deployment {spec.DeploymentId}: batch size {spec.BatchSize}, {spec.Epochs} epochs, " +
        $"{spec.Optimizer} lr {spec.LearningRate}, loss {spec.Loss}, metrics [{string.Join(", ", spec.Metrics)}], seed {spec.Seed}");

    /// <summary><c>epoch 3/50 loss 0.6123 accuracy 0.71 val_loss 0.58 val_accuracy 0.7</c>.</summary>
    public static string Describe(EpochReport epoch)
    {
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch.Epoch}/{epoch.Epochs} "));
        text.Append(Describe(epoch.Train, ""));
        if (epoch.Validation.Count > 0) text.Append(' ').Append(Describe(epoch.Validation, "val_"));
        return text.ToString();
    }

    /// <summary><c>loss 0.6123 accuracy 0.71</c>, each name after <paramref name="prefix"/>.</summary>
    public static string Describe(IReadOnlyDictionary<string, double> metrics, string prefix) =>
        string.Join(' ', metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{prefix}{m.Key} {m.Value:0.####}")));
}
