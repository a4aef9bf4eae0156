using KafkaMl.Core.Chains;

namespace KafkaMl.Tests.Chains;

/// <summary>The specs' easy and hard samples and chain script: <see cref="EasyAndHardSamples"/> (shared with <c>bench chain</c>).</summary>
internal static class ChainData
{
    public const int Features = EasyAndHardSamples.Features;

    public const int Classes = EasyAndHardSamples.Classes;

    /// <inheritdoc cref="EasyAndHardSamples.Script"/>
    public const string Script = EasyAndHardSamples.Script;

    public static IEnumerable<(float[] Features, float Label)> EasyAndHard(int count, int seed) => EasyAndHardSamples.Generate(count, seed);

    public static SampleSet EasyAndHardSet(int count, int seed) => EasyAndHardSamples.Set(count, seed);
}
