namespace KafkaMl.Core.Scripting;

/// <summary>Limits of <see cref="ModelScriptCompiler"/>.</summary>
public sealed class ModelScriptCompilerOptions
{
    /// <summary>Longest a compilation (including waiting for a free compiler slot) may take.</summary>
    public TimeSpan CompileTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many compilations the cache keeps (least recently used ones are dropped).</summary>
    public int CacheSize { get; set; } = 64;

    /// <summary>How many compilations may run at once.</summary>
    public int MaxConcurrentCompilations { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>Longest script accepted, in characters.</summary>
    public int MaxCodeLength { get; set; } = 200_000;

    /// <summary>
    /// Deepest nesting of lambdas accepted. Binding lambdas nested in calls to overloaded methods costs the number
    /// of overloads to the power of the depth, and the C# compiler does not stop such work when cancelled, so a
    /// script could keep a core busy long after its timeout; a shallow limit keeps every compilation short.
    /// </summary>
    public int MaxLambdaNesting { get; set; } = 4;
}
