using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using KafkaMl.Core.Orchestration.Local;

namespace KafkaMl.Web.Cli.Bench;

/// <summary>The portal under test: the same executable as a child process, its output kept (the last lines) for errors.</summary>
internal sealed class PortalChild : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();
    private int _disposed;

    private PortalChild(Process process, Uri url, string dataDir)
    {
        _process = process;
        Url = url;
        DataDir = dataDir;
    }

    public Uri Url { get; }

    public string DataDir { get; }

    public static PortalChild Start(string dataDir)
    {
        var port = FreePort();
        var (fileName, leading) = new LocalJobRunnerOptions().ResolveExecutable();
        var info = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in leading) info.ArgumentList.Add(argument);
        foreach (var argument in (string[])[$"--urls=http://127.0.0.1:{port}", $"--KafkaMl:DataDir={dataDir}", "--KafkaMl:Kafka:EmbeddedPort=0", "--KafkaMl:Kafka:BootstrapServers=", "--KafkaMl:Auth:Mode=open"])
            info.ArgumentList.Add(argument);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var process = Process.Start(info) ?? throw new BenchFailure($"could not start the portal ({fileName}).");
        var child = new PortalChild(process, new Uri($"http://127.0.0.1:{port}"), dataDir);
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>A client of the portal's API (the caller disposes it).</summary>
    public HttpClient CreateClient() => new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = Url,
        Timeout = TimeSpan.FromSeconds(60),
    };

    public async Task WaitUntilReadyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new BenchFailure($"the portal exited with code {_process.ExitCode} while starting.");
            try
            {
                using var response = await http.GetAsync("/api/status", cancellationToken);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new BenchFailure("the portal did not answer GET /api/status within 2 minutes.");
            await Task.Delay(250, cancellationToken);
        }
    }

    public string Tail() => string.Join(Environment.NewLine, _tail);

    /// <summary>Stops the portal as <c>docker stop</c> would (its jobs stop with it); kills what is left after 30 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (!_process.HasExited)
            {
                using var stop = new Process { StartInfo = new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false } };
                stop.Start();
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone meanwhile.
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _tail.Enqueue(line);
        while (_tail.Count > 40) _tail.TryDequeue(out _);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
