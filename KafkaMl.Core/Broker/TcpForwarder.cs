using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Broker;

/// <summary>
/// Forwards every TCP connection accepted on a fixed endpoint to a target endpoint, byte for byte.
/// It carries all of the embedded broker's traffic, so each direction of a connection reuses one
/// pooled buffer and no read or write allocates.
/// </summary>
internal sealed class TcpForwarder : IDisposable
{
    private const int BufferSize = 64 * 1024;
    private const byte ClientSide = 0;
    private const byte UpstreamSide = 1;

    private readonly Socket _listener;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private Task _acceptLoop = Task.CompletedTask;
    private IPEndPoint? _target;
    private int _disposed;
    private long _refuseUntil; // a Stopwatch timestamp; 0 = serving

    private TcpForwarder(Socket listener, ILogger logger)
    {
        _listener = listener;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>The bound endpoint, with the actual port when port 0 was asked for.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>True while the listener accepts connections.</summary>
    public bool IsRunning => _target is not null && !_acceptLoop.IsCompleted && Volatile.Read(ref _disposed) == 0;

    /// <summary>Binds and listens on <paramref name="endpoint"/> without accepting yet; throws <see cref="SocketException"/>.</summary>
    public static TcpForwarder Bind(IPEndPoint endpoint, ILogger logger)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
                listener.DualMode = true;
            listener.Bind(endpoint);
            listener.Listen(512);
            return new TcpForwarder(listener, logger);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Starts accepting and forwarding to <paramref name="target"/>.</summary>
    public void Start(IPEndPoint target)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _target, target, null) is not null)
            throw new InvalidOperationException("The forwarder is already started.");
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>
    /// A broker outage as clients see it: resets every open connection at once and resets each new one as soon as it
    /// is accepted until <paramref name="outage"/> is over. Only the connections go: whatever the target keeps (the
    /// mock cluster's topics, offsets and groups) is still there afterwards. Returns the connections reset.
    /// </summary>
    public int Interrupt(TimeSpan outage)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(outage, TimeSpan.Zero);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Volatile.Write(ref _refuseUntil, Stopwatch.GetTimestamp() + (long)(outage.TotalSeconds * Stopwatch.Frequency));
        // Counted before any reset: a reset tears down its partner socket too, which leaves the set at once.
        var open = _open.ToArray();
        foreach (var (socket, _) in open) Reset(socket);
        return open.Count(entry => entry.Value == ClientSide);
    }

    /// <summary>True while an <see cref="Interrupt"/> lasts.</summary>
    public bool IsInterrupted => Stopwatch.GetTimestamp() < Volatile.Read(ref _refuseUntil);

    /// <summary>Closes with a TCP reset (no graceful close), as a broker that crashed would.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
        socket.Close();
    }

    private async Task AcceptLoopAsync()
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                // Transient (e.g. out of file descriptors): keep serving, but don't spin.
                _logger.LogWarning(ex, "Embedded broker listener could not accept a connection on {Endpoint}", LocalEndPoint);
                try { await Task.Delay(100, ct).ConfigureAwait(false); } catch (OperationCanceledException) { break; }
                continue;
            }
            if (IsInterrupted)
            {
                Reset(client);
                continue;
            }
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var upstream = new Socket(_target!.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _open.TryAdd(client, ClientSide);
        _open.TryAdd(upstream, UpstreamSide);
        try
        {
            // Accepted just before an interruption began: it goes with the others.
            if (IsInterrupted) throw new SocketException((int)SocketError.ConnectionReset);
            client.NoDelay = true;
            upstream.NoDelay = true;
            await upstream.ConnectAsync(_target, _stopping.Token).ConfigureAwait(false);
            await Task.WhenAll(PumpAsync(client, upstream), PumpAsync(upstream, client)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_stopping.IsCancellationRequested)
                _logger.LogDebug(ex, "Embedded broker could not reach the mock cluster at {Target}", _target);
        }
        finally
        {
            _open.TryRemove(client, out _);
            _open.TryRemove(upstream, out _);
            if (IsInterrupted) Reset(client);
            client.Dispose();
            upstream.Dispose();
        }
    }

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> until end of stream; never throws.</summary>
    private static async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var memory = buffer.AsMemory();
            while (true)
            {
                // No cancellation token: closing the sockets ends the pump, and the
                // token-free socket calls complete without allocating.
                var read = await from.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (read == 0) break;
                var sent = 0;
                while (sent < read)
                    sent += await to.SendAsync(memory[sent..read], SocketFlags.None).ConfigureAwait(false);
            }
            // Pass the half-close on; the other direction keeps flowing until its own end.
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // A reset or a stop: tear both sides down so the opposite pump ends too.
            from.Close();
            to.Close();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stopping.Cancel();
        _listener.Dispose();
        foreach (var socket in _open.Keys) socket.Close();
        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop swallows its own errors; nothing to report on shutdown.
        }
    }
}
