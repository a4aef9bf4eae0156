namespace KafkaMl.Core.Chains;

/// <summary>
/// A seeded set where some samples are easy and some hard, for 3 classes over 4 features: what early exits are for. The
/// class is always the ring the last two features lie in (radius below 1, 1.3 to 2.3, 2.6 to 3.6): a rule no linear
/// layer can draw. Easy samples also carry a strong linear cue in the first two features (their class's direction, 120°
/// apart, 3 from the origin); hard ones carry only noise there. A linear edge exit answers the easy ones confidently; a
/// deeper stage answers both. Classes cycle 0, 1, 2 and easy/hard alternate in threes, so every split holds every kind.
/// </summary>
public static class EasyAndHardSamples
{
    public const int Features = 4;

    public const int Classes = 3;

    /// <summary>Edge: a linear exit on a linear body. Fog and cloud: a hidden layer each, so they can learn the rings.</summary>
    public const string Script =
        """
        EarlyExitChain(
            Stage(Linear(4, 16), Linear(16, 3)),
            Stage(Sequential(("relu", ReLU()), ("fc", Linear(16, 32)), ("relu2", ReLU())), Linear(32, 3)),
            Sequential(("fc", Linear(32, 32)), ("relu", ReLU()), ("out", Linear(32, 3))))
        """;

    public static IEnumerable<(float[] Features, float Label)> Generate(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var label = i % Classes;
            var hard = i / Classes % 2 == 1;
            var cue = 2 * Math.PI * label / Classes;
            var cueRadius = hard ? 0.0 : 3.0;
            const double CueNoise = 0.3;
            var ring = label * 1.3 + random.NextDouble();
            var angle = 2 * Math.PI * random.NextDouble();
            yield return (
                [
                    (float)(cueRadius * Math.Cos(cue) + CueNoise * Gaussian(random)),
                    (float)(cueRadius * Math.Sin(cue) + CueNoise * Gaussian(random)),
                    (float)(ring * Math.Cos(angle)),
                    (float)(ring * Math.Sin(angle)),
                ],
                label);
        }
    }

    /// <summary><see cref="Generate"/> as one sample set.</summary>
    public static Training.SampleSet Set(int count, int seed)
    {
        var samples = Generate(count, seed).ToList();
        return Training.SampleSet.FromArrays([.. samples.SelectMany(s => s.Features)], [Features], [.. samples.Select(s => s.Label)], [1]);
    }

    /// <summary>Box–Muller: a standard normal draw.</summary>
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
