using KafkaMl.Core.Domain;

namespace KafkaMl.Core.Chains;

/// <summary>
/// How sure an exit is of its answer: its top class probability, as the exit trade-off measures it
/// (<see cref="ExitTradeOff"/>): the largest softmax of the scores; max(p, 1 − p) of p = sigmoid for one binary output.
/// </summary>
public static class ExitConfidence
{
    public static float Of(Loss? loss, ReadOnlySpan<float> scores)
    {
        if (scores.IsEmpty) return 0;
        if (scores.Length == 1 && loss == Loss.BinaryCrossEntropy)
        {
            var p = 1 / (1 + Math.Exp(-scores[0]));
            return (float)Math.Max(p, 1 - p);
        }
        var max = float.NegativeInfinity;
        foreach (var s in scores) max = Math.Max(max, s);
        if (!float.IsFinite(max)) return 0;
        double sum = 0;
        foreach (var s in scores) sum += Math.Exp(s - max);
        return (float)(1 / sum); // exp(max - max) / Σ exp(s - max)
    }
}
