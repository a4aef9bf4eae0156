using System.Diagnostics;

namespace KafkaMl.Tests.Compatibility;

/// <summary>
/// The independent Kafka clients the compatibility tests drive: Debian's <c>python3-kafka</c> under the
/// system interpreter (the Python library Kafka-ML's own client is built on) and <c>kcat</c>. A missing
/// tool fails the test with what to run — these tests are never skipped.
/// </summary>
internal static class ExternalClients
{
    /// <summary>The system interpreter: a pyenv <c>python3</c> earlier on PATH does not see Debian's packages.</summary>
    public const string Python = "/usr/bin/python3";

    public const string Kcat = "/usr/bin/kcat";

    private const string InstallHint = "run scripts/install-test-deps.sh (it installs the Debian packages kcat and python3-kafka)";

    /// <summary>Fails unless <see cref="Python"/> exists and imports <c>kafka</c>.</summary>
    public static async Task RequirePythonKafkaAsync()
    {
        if (!File.Exists(Python)) Assert.Fail($"{Python} is missing: {InstallHint}.");
        var probe = await RunAsync(Python, ["-c", "import kafka; print(kafka.__version__)"]);
        if (probe.ExitCode != 0) Assert.Fail($"{Python} cannot import the kafka module (python3-kafka): {InstallHint}.\n{probe.Stderr}");
    }

    /// <summary>Fails unless <see cref="Kcat"/> exists.</summary>
    public static void RequireKcat()
    {
        if (!File.Exists(Kcat)) Assert.Fail($"{Kcat} is missing: {InstallHint}.");
    }

    /// <summary>Runs <paramref name="file"/> to completion (killing it after a bounded wait), feeding <paramref name="stdin"/>.</summary>
    public static async Task<ToolRun> RunAsync(string file, IEnumerable<string> arguments, string? stdin = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Only the system site-packages: no user or pyenv paths leaking in.
        start.Environment.Remove("PYTHONPATH");
        start.Environment.Remove("PYTHONHOME");

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(Eventually.Patience);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish within {Eventually.Patience}.\n{await stderr}");
        }
        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }
}

internal sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Fails with the tool's output unless it exited 0.</summary>
    public ToolRun EnsureSuccess(string what)
    {
        Assert.True(ExitCode == 0, $"{what} exited {ExitCode}.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        return this;
    }
}
