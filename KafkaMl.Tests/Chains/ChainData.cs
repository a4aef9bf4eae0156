namespace KafkaMl.Tests.Chains;

/// <summary>
/// A seeded set where some samples are easy and some hard: 3 classes whose centres lie 120° apart in the first two of 4
/// features (the other two are noise). Every other sample is easy (its class centre 3 from the origin: far from every
/// boundary), the rest hard (centre 0.5 from the origin, noise 0.5: near the boundaries, often on the wrong side).
/// Classes cycle 0, 1, 2 and easy/hard alternate in pairs, so every split holds all four kinds.
/// </summary>
internal static class ChainData
{
    public const int Features = 4;

    public const int Classes = 3;

    public static IEnumerable<(float[] Features, float Label)> EasyAndHard(int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var label = i % Classes;
            var hard = i / Classes % 2 == 1;
            var (radius, noise) = hard ? (0.5, 0.5) : (3.0, 0.3);
            var angle = 2 * Math.PI * label / Classes;
            yield return (
                [
                    (float)(radius * Math.Cos(angle) + noise * Gaussian(random)),
                    (float)(radius * Math.Sin(angle) + noise * Gaussian(random)),
                    (float)Gaussian(random),
                    (float)Gaussian(random),
                ],
                label);
        }
    }

    /// <summary><see cref="EasyAndHard(int, int)"/> as one sample set.</summary>
    public static SampleSet EasyAndHardSet(int count, int seed)
    {
        var samples = EasyAndHard(count, seed).ToList();
        return SampleSet.FromArrays([.. samples.SelectMany(s => s.Features)], [Features], [.. samples.Select(s => s.Label)], [1]);
    }

    /// <summary>Box–Muller: a standard normal draw.</summary>
    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
