using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace KafkaMl.Core.Scripting;

/// <summary>
/// Checks a model script by running it where it can do no harm: a short-lived <c>model-check</c> child process of
/// the KafkaMl executable (<see cref="ModelScriptInspector"/> on the other side) with a wall-clock limit and a
/// memory limit. The portal calls this; it never builds a module itself.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Time: past <see cref="ModelScriptCheckerOptions.TimeLimit"/> the whole process tree is killed and the report
/// says so (<see cref="ModelCheckFailure.Timeout"/>). As a second line, the child also gets a CPU-time limit
/// (<c>RLIMIT_CPU</c>, twice the wall-clock limit plus 10 s) so it dies even if this process does first.</item>
/// <item>Memory (Linux): <c>prlimit --data</c> (or <c>ulimit -d</c> through <c>/bin/sh</c> when <c>prlimit</c> is
/// missing) caps the child's private writable memory; an allocation past it fails inside the child, which reports
/// <see cref="ModelCheckFailure.Memory"/>. <c>RLIMIT_AS</c> is not used: the .NET runtime and libtorch reserve
/// several GB of address space they never touch, so any useful address-space limit would stop the runtime from
/// starting. <c>DOTNET_GCHeapHardLimit</c> bounds the managed heap on every OS.</item>
/// <item>Environment: the child gets only what it needs to run (<c>PATH</c>, <c>HOME</c>, locale, <c>DOTNET_*</c>,
/// <c>LD_LIBRARY_PATH</c>, KafkaMl's native-library switch), never the portal's configuration or secrets; it runs
/// in the temporary directory with one intra-op thread (<c>OMP_NUM_THREADS=1</c>) and workstation GC.</item>
/// </list>
/// </remarks>
public sealed class ModelScriptChecker
{
    /// <summary>Environment variables passed through to the child (exact names, or prefixes ending in <c>*</c>).</summary>
    private static readonly string[] PassedEnvironment =
    [
        "PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "LD_LIBRARY_PATH", "DOTNET_*", "KAFKAML_TORCH_NATIVE_FIX",
    ];

    private const int MaxStandardOutputChars = 4 << 20;
    private const int StandardErrorTailChars = 4_000;

    private readonly ModelScriptCheckerOptions options;
    private readonly SemaphoreSlim slots;

    public ModelScriptChecker(ModelScriptCheckerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ExecutablePath))
            throw new ArgumentException("ExecutablePath must name KafkaMl.Web.dll or the KafkaMl apphost.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.TimeLimit, TimeSpan.Zero, nameof(options.TimeLimit));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxConcurrentChecks, nameof(options.MaxConcurrentChecks));
        this.options = options;
        slots = new SemaphoreSlim(options.MaxConcurrentChecks, options.MaxConcurrentChecks);
    }

    /// <summary>
    /// Checks <paramref name="code"/> in a child process: compile, sandbox, build, count parameters, list layers and,
    /// when an input shape is known (given here or fixed by the script), a dry forward pass. Every failure — including
    /// the limits — comes back as a report; only cancellation throws (and kills the child).
    /// </summary>
    public async Task<ModelCheckReport> CheckAsync(string code, IReadOnlyList<long>? inputShape = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        await slots.WaitAsync(cancellationToken);
        try
        {
            return await RunChildAsync(code, inputShape, cancellationToken);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>The command line that runs a check with <paramref name="inputShape"/>, limits included.</summary>
    internal ProcessStartInfo CreateStartInfo(IReadOnlyList<long>? inputShape)
    {
        var command = new List<string>();
        if (options.ExecutablePath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            command.AddRange([DotnetHost(), options.ExecutablePath]);
        else
            command.Add(options.ExecutablePath);
        command.Add("model-check");
        if (inputShape is { Count: > 0 }) command.AddRange(["--input-shape", ModelInputShape.Format(inputShape)]);

        var cpuSeconds = (long)Math.Ceiling(options.TimeLimit.TotalSeconds * 2) + 10;
        if (OperatingSystem.IsLinux() && FindOnPath("prlimit") is { } prlimit)
        {
            var limits = new List<string> { $"--cpu={cpuSeconds}" };
            if (options.MemoryLimitBytes > 0) limits.Add($"--data={options.MemoryLimitBytes}");
            command.InsertRange(0, [prlimit, .. limits, "--"]);
        }
        else if (!OperatingSystem.IsWindows() && File.Exists("/bin/sh"))
        {
            var script = $"ulimit -t {cpuSeconds}"
                + (options.MemoryLimitBytes > 0 ? $" && ulimit -d {Math.Max(1, options.MemoryLimitBytes / 1024)}" : "")
                + " && exec \"$0\" \"$@\"";
            command.InsertRange(0, ["/bin/sh", "-c", script]);
        }

        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);

        var inherited = info.Environment.ToList();
        info.Environment.Clear();
        foreach (var (name, value) in inherited)
            if (PassedEnvironment.Any(p => p.EndsWith('*') ? name.StartsWith(p[..^1], StringComparison.Ordinal) : name == p))
                info.Environment[name] = value;
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_gcConcurrent"] = "0";
        if (options.ManagedHeapLimitBytes > 0)
            info.Environment["DOTNET_GCHeapHardLimit"] = options.ManagedHeapLimitBytes.ToString("x", CultureInfo.InvariantCulture);
        info.Environment["OMP_NUM_THREADS"] = "1";
        info.Environment["MKL_NUM_THREADS"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return info;
    }

    private async Task<ModelCheckReport> RunChildAsync(string code, IReadOnlyList<long>? inputShape, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = CreateStartInfo(inputShape) };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return ModelCheckReport.Failed(ModelCheckFailure.Crash,
                $"The model check could not start '{process.StartInfo.FileName}': {e.Message}") with { ElapsedSeconds = stopwatch.Elapsed.TotalSeconds };
        }

        var stdout = ReadCappedAsync(process.StandardOutput, MaxStandardOutputChars, keepTail: false);
        var stderr = ReadCappedAsync(process.StandardError, StandardErrorTailChars, keepTail: true);
        var timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(options.TimeLimit);
            try
            {
                try
                {
                    await process.StandardInput.WriteAsync(code.AsMemory(), deadline.Token);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The child exited before reading all of the script; its report (or exit code) says why.
                }
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                if (cancellationToken.IsCancellationRequested) throw;
                timedOut = true;
                try
                {
                    await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
                }
                catch (TimeoutException)
                {
                    // Reported without an exit code.
                }
            }
        }

        // The pipes close when the process (tree) is gone; bound the wait in case a grandchild kept them open.
        var output = await WithinAsync(stdout, TimeSpan.FromSeconds(5));
        var errors = await WithinAsync(stderr, TimeSpan.FromSeconds(5));
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        int? exitCode = process.HasExited ? process.ExitCode : null;

        if (timedOut)
            return ModelCheckReport.Failed(ModelCheckFailure.Timeout,
                $"The model check did not finish within its time limit of {Seconds(options.TimeLimit)} and was stopped. " +
                "Does the script loop forever, or build a model too large to check?") with { ElapsedSeconds = elapsed, ExitCode = exitCode };

        var report = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Reverse()
            .Where(l => l.StartsWith('{'))
            .Select(ModelCheckReport.TryParse)
            .FirstOrDefault(r => r is not null);
        if (report is null)
        {
            var memory = ModelScriptInspector.LooksLikeAllocationFailure(errors);
            var what = memory
                ? $"The model check ran out of memory ({MemoryLimitText()}) and ended without a report"
                : $"The model check ended (exit code {exitCode?.ToString(CultureInfo.InvariantCulture) ?? "?"}) without a report";
            return ModelCheckReport.Failed(memory ? ModelCheckFailure.Memory : ModelCheckFailure.Crash,
                    $"{what}: {LastLines(errors)}")
                with { ExitCode = exitCode, ElapsedSeconds = elapsed, StandardError = NullIfEmpty(errors) };
        }

        if (report.Failure == ModelCheckFailure.Memory)
            report = report with { Error = $"{report.Error} Limit: {MemoryLimitText()}." };
        return report with
        {
            ExitCode = exitCode,
            ElapsedSeconds = elapsed,
            StandardError = report.Ok ? null : NullIfEmpty(errors),
        };
    }

    private string MemoryLimitText()
    {
        var parts = new List<string>();
        if (OperatingSystem.IsLinux() && options.MemoryLimitBytes > 0) parts.Add($"{Size(options.MemoryLimitBytes)} of memory");
        if (options.ManagedHeapLimitBytes > 0) parts.Add($"{Size(options.ManagedHeapLimitBytes)} of managed heap");
        return parts.Count == 0 ? "no limit set" : string.Join(", ", parts);

        static string Size(long bytes) => bytes >= 1L << 30 && bytes % (1L << 30) == 0
            ? $"{bytes >> 30} GiB"
            : $"{(bytes + (1L << 20) - 1) >> 20} MiB";
    }

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    private static string? NullIfEmpty(string text) => string.IsNullOrWhiteSpace(text) ? null : text;

    private static string LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(nothing on standard error)" : string.Join(" | ", lines.TakeLast(3));
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting while we kill it.
        }
    }

    private static async Task<string> WithinAsync(Task<string> reading, TimeSpan limit)
    {
        try
        {
            return await reading.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            return "";
        }
    }

    /// <summary>Reads a stream to its end keeping at most <paramref name="maxChars"/> (the head, or the tail).</summary>
    private static async Task<string> ReadCappedAsync(StreamReader reader, int maxChars, bool keepTail)
    {
        var kept = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            if (keepTail)
            {
                kept.Append(buffer, 0, read);
                if (kept.Length > 2 * maxChars) kept.Remove(0, kept.Length - maxChars);
            }
            else if (kept.Length < maxChars)
            {
                kept.Append(buffer, 0, Math.Min(read, maxChars - kept.Length));
            }
        }
        if (keepTail && kept.Length > maxChars) kept.Remove(0, kept.Length - maxChars);
        return kept.ToString();
    }

    private string DotnetHost()
    {
        if (!string.IsNullOrEmpty(options.DotnetPath)) return options.DotnetPath;
        if (Environment.ProcessPath is { } current && ModelScriptCheckerOptions.IsDotnetHost(current)) return current;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var beside = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(beside) ? beside : "dotnet";
    }

    private static string? FindOnPath(string program)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/bin", "/usr/sbin", "/sbin"]);
        return directories.Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
    }
}
