using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using TorchSharp;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// What a model script is compiled against: the imports it gets for free and the few assemblies it may reference.
/// Anything else it names fails to compile; anything these assemblies expose beyond the allow-list is rejected by
/// <see cref="ModelScriptSandbox"/>.
/// </summary>
public static class ModelScriptEnvironment
{
    /// <summary>
    /// The script's implicit <c>using</c>s. A type name (<c>TorchSharp.torch</c>) is imported as <c>using static</c>,
    /// so <c>Sequential(...)</c>, <c>Linear(3, 4)</c>, <c>tensor(...)</c>, <c>Stage(...)</c> and <c>EarlyExitChain(...)</c>
    /// need no prefix.
    /// </summary>
    public static readonly ImmutableArray<string> Imports =
    [
        "System",
        "System.Linq",
        "System.Collections.Generic",
        "TorchSharp",
        "TorchSharp.torch",
        "TorchSharp.torch.nn",
        "KafkaMl.Core.Scripting",
        "KafkaMl.Core.Chains.ChainScript",
    ];

    /// <summary>
    /// Framework assemblies the script is compiled against (by file name, from the running runtime). TorchSharp's
    /// public signatures mention types from all of them; without them overload resolution fails (CS0012). Network,
    /// process, console and most other APIs live in assemblies that are not here, so a script cannot even name them.
    /// </summary>
    private static readonly string[] FrameworkAssemblies =
    [
        "System.Private.CoreLib.dll",
        "System.Runtime.dll",
        "System.Collections.dll",
        "System.Linq.dll",
        "System.Memory.dll",
        "System.Runtime.Numerics.dll",
    ];

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    private static readonly Lazy<ScriptOptions> LazyOptions = new(() => ScriptOptions.Default
        .WithReferences(References)
        .WithImports(Imports)
        .WithMetadataResolver(NoMetadataReferences.Instance)
        .WithSourceResolver(NoSourceReferences.Instance)
        .WithAllowUnsafe(false)
        .WithCheckOverflow(false)
        .WithEmitDebugInformation(false)
        .WithOptimizationLevel(OptimizationLevel.Release)
        .WithFileEncoding(System.Text.Encoding.UTF8));

    /// <summary>The assemblies a script is compiled against (loaded once per process).</summary>
    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    /// <summary>Roslyn scripting options: the references and imports above, no <c>#r</c>/<c>#load</c> resolution, no unsafe code.</summary>
    public static ScriptOptions ScriptOptions => LazyOptions.Value;

    /// <summary>Creates (does not compile) the script for <paramref name="code"/>.</summary>
    public static Script<object> CreateScript(string code) => CSharpScript.Create<object>(code, ScriptOptions);

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var trusted = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key!, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location) ?? "";

        var paths = new List<string>();
        foreach (var name in FrameworkAssemblies)
        {
            var path = trusted.TryGetValue(name, out var found) ? found : Path.Combine(runtimeDirectory, name);
            if (File.Exists(path)) paths.Add(path);
        }
        paths.Add(AssemblyPath(typeof(torch).Assembly, trusted));
        paths.Add(AssemblyPath(typeof(ModelDefinition).Assembly, trusted));
        return [.. paths.Distinct(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    private static string AssemblyPath(System.Reflection.Assembly assembly, Dictionary<string, string> trusted)
    {
        if (!string.IsNullOrEmpty(assembly.Location)) return assembly.Location;
        var fileName = assembly.GetName().Name + ".dll";
        return trusted.TryGetValue(fileName, out var path)
            ? path
            : throw new InvalidOperationException($"Cannot find {fileName} to compile model scripts against.");
    }

    /// <summary>Resolves no <c>#r</c> reference: every one fails to compile (and the sandbox names it).</summary>
    private sealed class NoMetadataReferences : MetadataReferenceResolver
    {
        public static readonly NoMetadataReferences Instance = new();

        public override ImmutableArray<PortableExecutableReference> ResolveReference(
            string reference, string? baseFilePath, MetadataReferenceProperties properties) => [];

        public override bool ResolveMissingAssemblies => false;

        public override bool Equals(object? other) => other is NoMetadataReferences;

        public override int GetHashCode() => nameof(NoMetadataReferences).GetHashCode(StringComparison.Ordinal);
    }

    /// <summary>Resolves no <c>#load</c> file: every one fails to compile (and the sandbox names it).</summary>
    private sealed class NoSourceReferences : SourceReferenceResolver
    {
        public static readonly NoSourceReferences Instance = new();

        public override string? NormalizePath(string path, string? baseFilePath) => null;

        public override string? ResolveReference(string path, string? baseFilePath) => null;

        public override Stream OpenRead(string resolvedPath) =>
            throw new IOException("Model scripts cannot load files.");

        public override bool Equals(object? other) => other is NoSourceReferences;

        public override int GetHashCode() => nameof(NoSourceReferences).GetHashCode(StringComparison.Ordinal);
    }
}
