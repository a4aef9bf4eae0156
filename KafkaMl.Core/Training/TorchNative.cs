using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KafkaMl.Core.Training;

/// <summary>What <see cref="TorchNative.EnsureLoadable"/> found and did.</summary>
public enum TorchNativeFix
{
    /// <summary>Not Linux: nothing to check.</summary>
    NotApplicable,
    /// <summary>Switched off with <c>KAFKAML_TORCH_NATIVE_FIX=off</c>.</summary>
    Disabled,
    /// <summary>No <c>libLibTorchSharp.so</c> beside the application.</summary>
    LibraryNotFound,
    /// <summary>The system's libstdc++ provides every version the library requires.</summary>
    NotNeeded,
    /// <summary>This process marked a missing marker version weak in at least one file.</summary>
    Applied,
    /// <summary>The fix was needed and every file already carried it.</summary>
    AlreadyApplied,
    /// <summary>The library cannot be made loadable; <see cref="TorchNativeStatus.Error"/> says why.</summary>
    Failed,
}

/// <summary>The outcome of <see cref="TorchNative.EnsureLoadable"/>.</summary>
/// <param name="Fix">What was found and done.</param>
/// <param name="LibStdCxx">The libstdc++ whose versions were checked (the process's own when it is loaded), if found.</param>
/// <param name="Libraries">Every <c>libLibTorchSharp.so</c> TorchSharp may load in this process.</param>
/// <param name="Patched">The files this process changed.</param>
/// <param name="WeakVersions">The versions the fix marks weak (e.g. <c>GLIBCXX_3.4.32</c>).</param>
/// <param name="Error">Why the fix failed, when <paramref name="Fix"/> is <see cref="TorchNativeFix.Failed"/>.</param>
public sealed record TorchNativeStatus(
    TorchNativeFix Fix,
    string? LibStdCxx,
    IReadOnlyList<string> Libraries,
    IReadOnlyList<string> Patched,
    IReadOnlyList<string> WeakVersions,
    string? Error);

/// <summary>
/// Makes TorchSharp's native library loadable on this machine before any TorchSharp use.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> is linked with GCC 13 and so requires the symbol version
/// <c>GLIBCXX_3.4.32</c>, which older libstdc++ (Debian 12's GCC 12) lacks: the dynamic loader then refuses the
/// library. The only symbol bound to that version is <c>_ZSt21ios_base_library_initv</c>, a link-time marker
/// that is never called. When — and only when — the libstdc++ this process uses lacks a version that the
/// library requires for such markers alone, that version's <c>Vernaux</c> entry is marked weak
/// (<see cref="ElfVersionPatcher"/>), so the loader accepts the system libstdc++. Newer systems are left alone.
/// <para>
/// It runs automatically when KafkaMl.Core is loaded (a module initializer), is idempotent, thread-safe and
/// cheap after the first call. <c>dotnet build</c> copies the unpatched library again whenever the package's
/// copy is newer; the next start patches it again.
/// </para>
/// </remarks>
public static class TorchNative
{
    /// <summary>The native library TorchSharp loads.</summary>
    public const string LibraryFileName = "libLibTorchSharp.so";

    /// <summary>Environment variable that switches the fix off when set to <c>off</c>, <c>0</c> or <c>false</c>.</summary>
    public const string SwitchVariable = "KAFKAML_TORCH_NATIVE_FIX";

    /// <summary>
    /// Symbols that are link-time markers, never called at run time: a missing version that only they require
    /// may be made weak safely. (<c>std::ios_base_library_init()</c> marks objects that use iostreams since GCC 13.)
    /// </summary>
    internal static readonly IReadOnlySet<string> MarkerSymbols = new HashSet<string>(StringComparer.Ordinal)
    {
        "_ZSt21ios_base_library_initv",
    };

    private static readonly Lazy<TorchNativeStatus> Outcome = new(Run, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The outcome of the check (running it first if it has not run yet).</summary>
    public static TorchNativeStatus Status => Outcome.Value;

    /// <summary>
    /// Checks the native library once per process and patches it if this system needs it. Later calls only
    /// return (or rethrow the first failure).
    /// </summary>
    /// <exception cref="InvalidOperationException">The library needs a fix that could not be applied.</exception>
    public static void EnsureLoadable()
    {
        var status = Outcome.Value;
        if (status.Fix == TorchNativeFix.Failed)
            throw new InvalidOperationException($"TorchSharp's native library cannot be loaded on this system: {status.Error}");
    }

    /// <summary>
    /// A one-line summary for a status page, e.g.
    /// <c>TorchSharp 0.107.0 (libtorch 2.10.0.0); GLIBCXX_3.4.32 made weak in 1 file for the system libstdc++; native library not loaded yet</c>.
    /// Never loads the native library itself.
    /// </summary>
    public static string Describe()
    {
        var status = Outcome.Value;
        var fix = status.Fix switch
        {
            TorchNativeFix.NotApplicable => "no native fix needed on this OS",
            TorchNativeFix.Disabled => $"native fix switched off ({SwitchVariable})",
            TorchNativeFix.LibraryNotFound => $"{LibraryFileName} not found beside the application",
            TorchNativeFix.NotNeeded => "system libstdc++ provides every required version, no patch needed",
            TorchNativeFix.Applied => $"{string.Join(", ", status.WeakVersions)} made weak in {Files(status.Patched.Count)} for the system libstdc++",
            TorchNativeFix.AlreadyApplied => $"{string.Join(", ", status.WeakVersions)} already weak for the system libstdc++",
            _ => $"native fix failed: {status.Error}",
        };
        var loaded = IsNativeLibraryLoaded() switch
        {
            true => "; native library loaded",
            false => "; native library not loaded yet",
            null => "",
        };
        return $"{Versions()}; {fix}{loaded}";

        static string Files(int n) => n == 1 ? "1 file" : $"{n} files";
    }

#pragma warning disable CA2255 // A library module initializer is the point: it must run before any TorchSharp use in the process.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunAtModuleLoad()
    {
        try
        {
            if (Outcome.Value is { Fix: TorchNativeFix.Failed, Error: var error })
                Console.Error.WriteLine($"KafkaMl: TorchSharp's native library may not load: {error}");
        }
        catch (Exception e)
        {
            // Run() catches everything it expects; this guards the process against the unexpected.
            Console.Error.WriteLine($"KafkaMl: checking TorchSharp's native library failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private static TorchNativeStatus Run()
    {
        if (!OperatingSystem.IsLinux()) return Nothing(TorchNativeFix.NotApplicable);
        if (Environment.GetEnvironmentVariable(SwitchVariable)?.Trim().ToLowerInvariant() is "off" or "0" or "false")
            return Nothing(TorchNativeFix.Disabled);

        string[] libraries = [];
        string? libStdCxx = null;
        try
        {
            libraries = FindLibraries();
            if (libraries.Length == 0) return Nothing(TorchNativeFix.LibraryNotFound);

            libStdCxx = FindLibStdCxx();
            // Unknown libstdc++: assume it provides nothing. Marking a marker-only version weak is harmless.
            var provided = libStdCxx is null
                ? new HashSet<string>(StringComparer.Ordinal)
                : new HashSet<string>(ElfVersionPatcher.ReadDefinedVersions(libStdCxx), StringComparer.Ordinal);

            var patched = new List<string>();
            var weak = new SortedSet<string>(StringComparer.Ordinal);
            var needed = false;
            foreach (var library in libraries)
            {
                var plan = Plan(
                    ElfVersionPatcher.ReadRequiredVersions(library),
                    provided,
                    version => ElfVersionPatcher.ReadSymbolsRequiring(library, version));
                if (plan.Unfixable.Count > 0)
                {
                    var lacking = libStdCxx is null ? "no libstdc++ was found" : $"'{libStdCxx}' lacks";
                    return new TorchNativeStatus(TorchNativeFix.Failed, libStdCxx, libraries, patched, [.. weak],
                        $"'{library}' requires {string.Join(", ", plan.Unfixable)} and {lacking} it; install a newer libstdc++ (GCC 13 or later)");
                }
                needed |= plan.ToWeaken.Count + plan.AlreadyWeak.Count > 0;
                weak.UnionWith(plan.ToWeaken);
                weak.UnionWith(plan.AlreadyWeak);
                var changed = false;
                foreach (var version in plan.ToWeaken)
                    changed |= ElfVersionPatcher.MarkVersionWeak(library, version);
                if (changed) patched.Add(library);
            }

            var fix = patched.Count > 0 ? TorchNativeFix.Applied
                : needed ? TorchNativeFix.AlreadyApplied
                : TorchNativeFix.NotNeeded;
            return new TorchNativeStatus(fix, libStdCxx, libraries, patched, [.. weak], null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new TorchNativeStatus(TorchNativeFix.Failed, libStdCxx, libraries, [], [], e.Message);
        }

        static TorchNativeStatus Nothing(TorchNativeFix fix) => new(fix, null, [], [], [], null);
    }

    /// <summary>Which required libstdc++ versions to make weak, which already are, and which no patch can supply.</summary>
    internal sealed record FixPlan(IReadOnlyList<string> ToWeaken, IReadOnlyList<string> AlreadyWeak, IReadOnlyList<string> Unfixable);

    /// <summary>
    /// Decides, from a library's required versions and the versions the system libstdc++ provides, what to do: a
    /// missing version is made weak only when every symbol bound to it is a known link-time marker.
    /// </summary>
    internal static FixPlan Plan(
        IEnumerable<ElfVersionRequirement> requirements,
        IReadOnlySet<string> provided,
        Func<string, IReadOnlyList<string>> symbolsRequiring)
    {
        List<string> toWeaken = [], alreadyWeak = [], unfixable = [];
        foreach (var requirement in requirements)
        {
            if (!requirement.Library.StartsWith("libstdc++", StringComparison.Ordinal)) continue;
            if (provided.Contains(requirement.Version)) continue;
            if (requirement.IsWeak) alreadyWeak.Add(requirement.Version);
            else if (symbolsRequiring(requirement.Version).All(MarkerSymbols.Contains)) toWeaken.Add(requirement.Version);
            else unfixable.Add(requirement.Version);
        }
        return new FixPlan(toWeaken, alreadyWeak, unfixable);
    }

    /// <summary>Every existing <c>libLibTorchSharp.so</c> TorchSharp may load in this process.</summary>
    internal static string[] FindLibraries()
    {
        var rid = $"linux-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
        var directories = new List<string> { AppContext.BaseDirectory, Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native") };

        // The directories the host resolved native assets to (from the app's deps.json).
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string searchDirectories)
            directories.AddRange(searchDirectories.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));

        // Beside TorchSharp.dll, including the "cpu" directory TorchSharp consolidates natives into when its first load fails.
        if (FindTorchSharpAssembly() is { } assembly && Path.GetDirectoryName(assembly) is { } torchSharpDir)
            directories.AddRange([torchSharpDir, Path.Combine(torchSharpDir, "runtimes", rid, "native"), Path.Combine(torchSharpDir, "cpu")]);

        return directories
            .Select(d => Path.GetFullPath(Path.Combine(d, LibraryFileName)))
            .Distinct(StringComparer.Ordinal)
            .Where(File.Exists)
            .ToArray();
    }

    /// <summary>
    /// The libstdc++ the dynamic loader will bind: the one already mapped into this process (the .NET runtime
    /// loads it), else the first <c>libstdc++.so.6</c> on <c>LD_LIBRARY_PATH</c>, the standard directories or in
    /// <c>ldconfig -p</c>.
    /// </summary>
    internal static string? FindLibStdCxx()
    {
        if (FromProcessMaps() is { } mapped) return mapped;

        var triplet = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 => "aarch64-linux-gnu",
            Architecture.Arm => "arm-linux-gnueabihf",
            _ => "x86_64-linux-gnu",
        };
        var searched = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat([$"/usr/lib/{triplet}", $"/lib/{triplet}", "/usr/lib64", "/lib64", "/usr/lib", "/lib"]);
        foreach (var directory in searched)
        {
            var candidate = Path.Combine(directory, "libstdc++.so.6");
            if (File.Exists(candidate)) return candidate;
        }
        return FromLdconfig();

        static string? FromProcessMaps()
        {
            try
            {
                foreach (var line in File.ReadLines("/proc/self/maps"))
                {
                    var slash = line.IndexOf('/');
                    if (slash < 0) continue;
                    var path = line[slash..];
                    if (Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal) && File.Exists(path)) return path;
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            return null;
        }

        static string? FromLdconfig()
        {
            foreach (var ldconfig in new[] { "/sbin/ldconfig", "/usr/sbin/ldconfig" })
            {
                if (!File.Exists(ldconfig)) continue;
                try
                {
                    using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(ldconfig, "-p")
                    {
                        RedirectStandardOutput = true,
                        RedirectStandardError = true,
                        UseShellExecute = false,
                    });
                    if (process is null) continue;
                    var output = process.StandardOutput.ReadToEnd();
                    process.WaitForExit(5_000);
                    // "	libstdc++.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libstdc++.so.6"
                    foreach (var line in output.Split('\n'))
                    {
                        var trimmed = line.Trim();
                        var arrow = trimmed.IndexOf("=>", StringComparison.Ordinal);
                        if (trimmed.StartsWith("libstdc++.so.6 ", StringComparison.Ordinal) && arrow > 0
                            && (trimmed.Contains("x86-64") == (RuntimeInformation.ProcessArchitecture == Architecture.X64)))
                            return trimmed[(arrow + 2)..].Trim();
                    }
                }
                catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException) { }
            }
            return null;
        }
    }

    /// <summary>Where TorchSharp.dll is, from the host's trusted-assembly list, without loading it.</summary>
    private static string? FindTorchSharpAssembly() =>
        (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string)?
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(p => string.Equals(Path.GetFileName(p), "TorchSharp.dll", StringComparison.OrdinalIgnoreCase));

    private static string Versions()
    {
        // Reflection on metadata only: touching torch's members would run its type initializer, which loads the natives.
        var assembly = typeof(TorchSharp.torch).Assembly;
        var torchSharp = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? assembly.GetName().Version?.ToString() ?? "?";
        var libtorch = typeof(TorchSharp.torch).GetField("libtorchPackageVersion", BindingFlags.NonPublic | BindingFlags.Static) is { IsLiteral: true } field
            ? field.GetRawConstantValue() as string
            : null;
        return libtorch is null ? $"TorchSharp {torchSharp}" : $"TorchSharp {torchSharp} (libtorch {libtorch})";
    }

    /// <summary>Whether TorchSharp's native library is mapped into this process; null when that cannot be told.</summary>
    private static bool? IsNativeLibraryLoaded()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return File.ReadLines("/proc/self/maps").Any(l => l.EndsWith("/" + LibraryFileName, StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
