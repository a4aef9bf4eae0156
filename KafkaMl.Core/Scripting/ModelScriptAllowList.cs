using System.Collections.Frozen;
using Microsoft.CodeAnalysis;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// The one place that says what a model script may use. It is an allow-list: a type is usable only when it is
/// listed here (by namespace or by name) and not carved out again; a member is usable when its type is, it is not
/// denied by name and every type in its signature is usable. Everything else — files, network, processes,
/// reflection, interop, environment, threads, the GC, the console — is rejected by <see cref="ModelScriptSandbox"/>.
/// </summary>
/// <remarks>Type names are metadata names: namespace, <c>+</c> for nesting, <c>`N</c> for generic arity.</remarks>
public static class ModelScriptAllowList
{
    /// <summary>Namespaces whose types (and those of their sub-namespaces) are allowed, minus <see cref="DeniedTypes"/>.</summary>
    public static readonly FrozenSet<string> AllowedNamespaces = new[]
    {
        "TorchSharp",                    // tensors, modules, functional ops, init, optim, lr schedulers, distributions ...
        "System.Collections.Generic",    // List, Dictionary, HashSet, KeyValuePair, the collection interfaces
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Single types allowed outside <see cref="AllowedNamespaces"/>.</summary>
    public static readonly FrozenSet<string> AllowedTypes = Expand(
    [
        // Primitives, string, object (minus GetType, see DeniedMembers) and the implicit bases of values and arrays.
        "System.Object", "System.ValueType", "System.Enum", "System.Array", "System.Void", "System.String",
        "System.Boolean", "System.Char", "System.SByte", "System.Byte", "System.Int16", "System.UInt16",
        "System.Int32", "System.UInt32", "System.Int64", "System.UInt64", "System.Int128", "System.UInt128",
        "System.Single", "System.Double", "System.Decimal", "System.Half",
        "System.Numerics.Complex",       // complex tensors
        // Arithmetic and small helpers.
        "System.Math", "System.MathF", "System.MidpointRounding", "System.Convert", "System.BitConverter",
        "System.Random",                 // seeded randomness for initialisation
        "System.StringComparison", "System.StringComparer", "System.StringSplitOptions",
        "System.IComparable", "System.IComparable`1", "System.IEquatable`1", "System.IFormattable",
        "System.IDisposable",            // `using` of tensors and dispose scopes
        "System.Nullable`1", "System.Index", "System.Range", "System.Span`1", "System.ReadOnlySpan`1",
        // Tuples (named layers: ("fc1", Linear(3, 4))) and delegates (lambdas, LINQ).
        "System.ValueTuple", "System.ValueTuple`#8", "System.Tuple`#8",
        "System.Action", "System.Action`#16", "System.Func`#17", "System.Predicate`1", "System.Comparison`1",
        // Exceptions a script may throw to reject bad hyper-parameters.
        "System.Exception", "System.ArgumentException", "System.ArgumentNullException",
        "System.ArgumentOutOfRangeException", "System.InvalidOperationException",
        "System.NotSupportedException", "System.NotImplementedException",
        // LINQ to objects (not PLINQ, not expression trees).
        "System.Linq.Enumerable", "System.Linq.IGrouping`2", "System.Linq.ILookup`2", "System.Linq.Lookup`2",
        "System.Linq.IOrderedEnumerable`1",
        // Non-generic collection interfaces that foreach and the generic collections build on.
        "System.Collections.IEnumerable", "System.Collections.IEnumerator", "System.Collections.ICollection",
        "System.Collections.IList", "System.Collections.IComparer", "System.Collections.IEqualityComparer",
        // The richer result a script may return.
        "KafkaMl.Core.Scripting.ModelDefinition",
        // Early-exit chains: Stage(body, exit), EarlyExitChain(...) and the chain's WithExitWeights. Their members only
        // build modules and run tensors; Module's file APIs stay denied through DeniedMembers.
        "KafkaMl.Core.Chains.ChainScript", "KafkaMl.Core.Chains.ChainStage", "KafkaMl.Core.Chains.EarlyExitChain",
    ]);

    /// <summary>
    /// Types denied although their namespace is allowed (a type nested in one of these is denied too), with why.
    /// TorchSharp's own file, download and serialisation APIs: a model script builds a module, nothing else.
    /// </summary>
    public static readonly FrozenDictionary<string, string> DeniedTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["TorchSharp.torch+jit"] = "TorchScript loading and saving (file access)",
        ["TorchSharp.torch+export"] = "exported-program loading (file access)",
        ["TorchSharp.torch+hub"] = "downloads (network and file access)",
        ["TorchSharp.torch+utils+data"] = "data loaders (file access, worker threads)",
        ["TorchSharp.torch+utils+tensorboard"] = "TensorBoard logs (file access)",
        ["TorchSharp.Modules.SummaryWriter"] = "TensorBoard logs (file access)",
        ["TorchSharp.Modules.DataLoader"] = "data loaders (worker threads)",
        ["TorchSharp.Modules.DataLoader`2"] = "data loaders (worker threads)",
        ["TorchSharp.Modules.IterableDataLoader"] = "data loaders (worker threads)",
        ["TorchSharp.Data"] = "dataset loaders (file access)",
        ["TorchSharp.Utils.Decompress"] = "decompressing files (file access)",
        ["TorchSharp.Utils.BigEndianReader"] = "reading streams (file access)",
        ["TorchSharp.ExportedProgram"] = "exported-program loading (file access)",
        ["TorchSharp.ExportedProgram`1"] = "exported-program loading (file access)",
        ["TorchSharp.FieldInfoExtensionMethods"] = "reflection",
        ["TorchSharp.AllocatePinnedArray"] = "native interop",
        ["TorchSharp.AllocateIndexedNativeTensorOrScalarArray"] = "native interop",
        ["TorchSharp.DistanceFunctionNative"] = "native interop",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Members denied although their type is allowed, by containing type and member name (every overload), with why.
    /// </summary>
    public static readonly FrozenDictionary<(string Type, string Member), string> DeniedMembers =
        new Dictionary<(string, string), string>
        {
            [("System.Object", "GetType")] = "reflection",
            [("TorchSharp.torch", "load")] = "TorchSharp file access (torch.load)",
            [("TorchSharp.torch", "save")] = "TorchSharp file access (torch.save)",
            [("TorchSharp.torch", "from_file")] = "TorchSharp file access (torch.from_file)",
            [("TorchSharp.torch+Tensor", "load")] = "TorchSharp file access (Tensor.load)",
            [("TorchSharp.torch+Tensor", "save")] = "TorchSharp file access (Tensor.save)",
            [("TorchSharp.torch+Tensor", "Load")] = "TorchSharp file access (Tensor.Load)",
            [("TorchSharp.torch+Tensor", "ReadBytesFromStream")] = "TorchSharp stream access",
            [("TorchSharp.torch+Tensor", "WriteBytesToStream")] = "TorchSharp stream access",
            [("TorchSharp.torch+Tensor", "DecoupleFromNativeHandle")] = "native interop",
            [("TorchSharp.torch+Tensor", "UnsafeCreateTensor")] = "native interop",
            [("TorchSharp.TensorExtensionMethods", "Save")] = "TorchSharp file access (Tensor.Save)",
            [("TorchSharp.TensorExtensionMethods", "Load")] = "TorchSharp file access (Tensor.Load)",
            [("TorchSharp.torch+nn+Module", "save")] = "TorchSharp file access (Module.save)",
            [("TorchSharp.torch+nn+Module", "load")] = "TorchSharp file access (Module.load)",
            [("TorchSharp.torch+nn+Module", "save_state_dict")] = "TorchSharp file access (Module.save_state_dict)",
            [("TorchSharp.torch+nn+Module", "Create")] = "TorchSharp file access (Module.Create)",
            [("TorchSharp.torch", "set_num_threads")] = "threading (thread pool size)",
            [("TorchSharp.torch", "set_num_interop_threads")] = "threading (thread pool size)",
            [("TorchSharp.Modules.OptimizerHelper", "load_state_dict")] = "TorchSharp file access (optimizer state)",
            [("TorchSharp.Modules.OptimizerHelper", "save_state_dict")] = "TorchSharp file access (optimizer state)",
        }.ToFrozenDictionary();

    /// <summary>
    /// Parameter names that mark a TorchSharp string as a file path or URL: such a method is denied even when it is
    /// not in <see cref="DeniedMembers"/> (a safety net for file APIs added by future TorchSharp versions).
    /// </summary>
    public static readonly FrozenSet<string> PathParameterNames = new[]
    {
        "location", "path", "filename", "fileName", "file_name", "file", "log_dir", "dir", "directory", "dst", "url",
        "gzipFileName", "targetDir",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Why well-known namespaces and types are off the list, to make rejections readable. The longest matching
    /// prefix wins; anything unmatched is simply "not on the model-script allow-list".
    /// </summary>
    public static readonly IReadOnlyList<(string Prefix, string Category)> Categories =
    [
        ("System.IO", "file system access"),
        ("System.Net", "network access"),
        ("System.Diagnostics.Process", "process control"),
        ("System.Diagnostics", "process and diagnostics control"),
        ("System.Reflection", "reflection"),
        ("System.Type", "reflection"),
        ("System.Activator", "reflection"),
        ("System.AppDomain", "reflection (application domain)"),
        ("System.Runtime.Loader", "reflection (assembly loading)"),
        ("System.Runtime.CompilerServices", "compiler and runtime services"),
        ("System.Runtime.InteropServices", "native interop"),
        ("System.IntPtr", "native interop"),
        ("System.UIntPtr", "native interop"),
        ("System.Environment", "environment access"),
        ("System.Threading", "threading"),
        ("System.GC", "garbage collector control"),
        ("System.Console", "console I/O"),
        ("System.Security", "security APIs"),
        ("System.Linq.Expressions", "expression trees (reflection)"),
        ("System.Linq.Parallel", "threading"),
        ("System.Linq.ParallelEnumerable", "threading"),
        ("System.Delegate", "reflection (delegates)"),
        ("System.MulticastDelegate", "reflection (delegates)"),
        ("System.Dynamic", "dynamic binding"),
        ("Microsoft.Win32", "operating-system access"),
        ("Microsoft", "host APIs"),
        ("KafkaMl", "KafkaMl's own APIs"),
        ("Tensorboard", "TensorBoard logs (file access)"),
    ];

    /// <summary>
    /// Simple names of well-known forbidden types that live in assemblies a script is not compiled against: the
    /// compiler only says it cannot find them, the sandbox adds why they are not there.
    /// </summary>
    public static readonly FrozenDictionary<string, string> UnreferencedNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["HttpClient"] = "network access", ["HttpClientHandler"] = "network access", ["WebClient"] = "network access",
        ["WebRequest"] = "network access", ["HttpWebRequest"] = "network access", ["Socket"] = "network access",
        ["TcpClient"] = "network access", ["TcpListener"] = "network access", ["UdpClient"] = "network access",
        ["Dns"] = "network access", ["Ping"] = "network access",
        ["Process"] = "process control", ["ProcessStartInfo"] = "process control",
        ["Console"] = "console I/O",
        ["Parallel"] = "threading", ["ParallelEnumerable"] = "threading",
        ["Expression"] = "expression trees (reflection)",
        ["AssemblyLoadContext"] = "reflection (assembly loading)",
        ["Registry"] = "operating-system access",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Whether a type (by metadata name, in namespace <paramref name="ns"/>) is on the list.</summary>
    internal static bool IsAllowedName(string metadataName, string ns)
    {
        if (AllowedTypes.Contains(metadataName)) return true;
        foreach (var allowed in AllowedNamespaces)
            if (ns == allowed || ns.StartsWith(allowed + ".", StringComparison.Ordinal)) return true;
        return false;
    }

    /// <summary>Why <paramref name="name"/> (a type or namespace) is not allowed.</summary>
    public static string CategoryOf(string name)
    {
        var best = Categories
            .Where(c => name == c.Prefix || name.StartsWith(c.Prefix + ".", StringComparison.Ordinal)
                || name.StartsWith(c.Prefix + "+", StringComparison.Ordinal) || name.StartsWith(c.Prefix + "`", StringComparison.Ordinal))
            .OrderByDescending(c => c.Prefix.Length)
            .Select(c => c.Category)
            .FirstOrDefault();
        return best ?? "not on the model-script allow-list";
    }

    /// <summary>Expands <c>Name`#N</c> to <c>Name`1</c> … <c>Name`N</c>.</summary>
    private static FrozenSet<string> Expand(IEnumerable<string> names) =>
        names.SelectMany(n =>
        {
            var hash = n.IndexOf("`#", StringComparison.Ordinal);
            return hash < 0 ? [n] : Enumerable.Range(1, int.Parse(n[(hash + 2)..], System.Globalization.CultureInfo.InvariantCulture))
                .Select(i => $"{n[..hash]}`{i}");
        }).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The metadata name of a (non-generic-instantiated) type: <c>TorchSharp.torch+nn+Module`2</c>.</summary>
    internal static string MetadataName(INamedTypeSymbol type)
    {
        var definition = type.OriginalDefinition;
        if (definition.ContainingType is { } outer) return MetadataName(outer) + "+" + definition.MetadataName;
        var ns = NamespaceOf(definition);
        return ns.Length == 0 ? definition.MetadataName : ns + "." + definition.MetadataName;
    }

    /// <summary>The namespace of the outermost containing type, dotted; empty for the global namespace.</summary>
    internal static string NamespaceOf(ISymbol symbol)
    {
        var ns = symbol.ContainingNamespace;
        return ns is null || ns.IsGlobalNamespace ? "" : ns.ToDisplayString();
    }
}
