using System.Reflection;

namespace KafkaMl.Core.Scripting;

/// <summary>How <see cref="ModelScriptChecker"/> starts and bounds the <c>model-check</c> child process.</summary>
public sealed class ModelScriptCheckerOptions
{
    /// <summary>
    /// The KafkaMl executable: its <c>KafkaMl.Web.dll</c> (started with <see cref="DotnetPath"/>) or its apphost
    /// (<c>KafkaMl.Web</c>, started directly). <see cref="ForCurrentProcess"/> fills it for the running portal.
    /// </summary>
    public string ExecutablePath { get; set; } = "";

    /// <summary>The <c>dotnet</c> host for a <c>.dll</c>; null finds the one running this process.</summary>
    public string? DotnetPath { get; set; }

    /// <summary>Wall-clock limit of one check, process start included; the process tree is killed past it.</summary>
    public TimeSpan TimeLimit { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Memory limit of the child on Linux: its data segment (<c>RLIMIT_DATA</c>: heap and every private writable
    /// mapping, so managed heap, libtorch's tensors and thread stacks; not the shared libraries' code), set with
    /// <c>prlimit</c>, or <c>ulimit -d</c> when <c>prlimit</c> is missing. 0 = no limit.
    /// </summary>
    public long MemoryLimitBytes { get; set; } = 2L << 30;

    /// <summary>The child's managed-heap limit (<c>DOTNET_GCHeapHardLimit</c>), on every OS. 0 = none.</summary>
    public long ManagedHeapLimitBytes { get; set; } = 512L << 20;

    /// <summary>How many checks may run at once (each is a process of a few hundred MB).</summary>
    public int MaxConcurrentChecks { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Options that run this process's own executable: its apphost when it was started as one, else its entry
    /// assembly with the <c>dotnet</c> host that runs it.
    /// </summary>
    public static ModelScriptCheckerOptions ForCurrentProcess()
    {
        var processPath = Environment.ProcessPath;
        if (processPath is not null && !IsDotnetHost(processPath))
            return new ModelScriptCheckerOptions { ExecutablePath = processPath };
        var entry = Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(entry))
            throw new InvalidOperationException("Cannot tell which executable runs this process; set ModelScriptCheckerOptions.ExecutablePath.");
        return new ModelScriptCheckerOptions { ExecutablePath = entry, DotnetPath = processPath };
    }

    internal static bool IsDotnetHost(string path) =>
        Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase);
}
