using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KafkaMl.Core.Broker;

/// <summary>
/// A Kafka broker inside this process: librdkafka's built-in mock cluster (a real Kafka-protocol
/// listener keeping everything in memory) behind a fixed address. The mock always listens on an
/// ephemeral loopback port, so a <see cref="TcpForwarder"/> owns the chosen port and the mock is told
/// to advertise that port in its metadata; clients only ever see the fixed address.
/// </summary>
/// <remarks>
/// The mock implements produce/fetch, consumer groups and metadata, and auto-creates unknown topics
/// with 4 partitions; it does not implement the CreateTopics admin API, so topics with another
/// partition count are made with <see cref="CreateTopic"/>.
/// </remarks>
public sealed class EmbeddedBroker : IDisposable
{
    private const int BrokerId = 1;
    private const int ReplicationFactor = 1;

    private readonly LibRdKafkaMock _native;
    private readonly TcpForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly int _defaultPartitions;
    private readonly object _gate = new();
    private GCHandle _loggerHandle;
    private nint _rk;
    private nint _cluster;
    private bool _disposed;

    private EmbeddedBroker(LibRdKafkaMock native, TcpForwarder forwarder, ILogger logger, int defaultPartitions)
    {
        _native = native;
        _forwarder = forwarder;
        _logger = logger;
        _defaultPartitions = defaultPartitions;
    }

    /// <summary>The advertised, fixed address, e.g. <c>127.0.0.1:9092</c>.</summary>
    public string BootstrapServers { get; private set; } = "";

    /// <summary>The port clients connect to (the actual one when port 0 was asked for).</summary>
    public int Port => _forwarder.LocalEndPoint.Port;

    /// <summary>The mock cluster's own ephemeral listener that the fixed port forwards to.</summary>
    internal string MockBootstrapServers { get; private set; } = "";

    /// <summary>Starts the broker; throws <see cref="BrokerStartException"/> naming the port when it cannot.</summary>
    public static EmbeddedBroker Start(EmbeddedBrokerSettings settings, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settings.Port, IPEndPoint.MaxPort);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.DefaultPartitions, 1);
        logger ??= NullLogger.Instance;

        var bindAddress = ResolveBindAddress(settings);
        // Bind the fixed port first: a port in use fails fast, before any native work.
        TcpForwarder forwarder;
        try
        {
            forwarder = TcpForwarder.Bind(new IPEndPoint(bindAddress, settings.Port), logger);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw BrokerStartException.PortInUse(settings.Port, settings.BindAddress, ex);
        }
        catch (SocketException ex)
        {
            throw BrokerStartException.CannotBind(settings.Port, settings.BindAddress, ex);
        }

        EmbeddedBroker? broker = null;
        try
        {
            LibRdKafkaMock native;
            try
            {
                native = LibRdKafkaMock.Instance;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or TypeInitializationException or InvalidOperationException)
            {
                throw BrokerStartException.MockClusterFailed(settings.Port, ex);
            }
            broker = new EmbeddedBroker(native, forwarder, logger, settings.DefaultPartitions);
            broker.StartCluster(AdvertisedHost(bindAddress));
            return broker;
        }
        catch (InvalidOperationException ex)
        {
            broker?.Dispose();
            forwarder.Dispose();
            throw BrokerStartException.MockClusterFailed(settings.Port, ex);
        }
        catch
        {
            broker?.Dispose();
            forwarder.Dispose();
            throw;
        }
    }

    private void StartCluster(string advertisedHost)
    {
        _loggerHandle = GCHandle.Alloc(_logger);
        _rk = _native.CreateHandle(_loggerHandle);
        _cluster = _native.CreateCluster(_rk, brokers: 1);
        // A development broker: let a group's first member start at once instead of after 3 s.
        _native.SetGroupInitialRebalanceDelay(_cluster, 0);
        // Consumer-protocol (KIP-848) groups, which inference replicas use here: a killed member's partitions move after
        // the same session timeout as classic replicas, and assignment changes travel with heartbeats this frequent.
        _native.SetConsumerGroupTimings(_cluster, KafkaClientConfig.EmbeddedReplicaSessionTimeoutMs, KafkaClientConfig.EmbeddedConsumerGroupHeartbeatMs);
        MockBootstrapServers = _native.Bootstraps(_cluster);
        var target = ParseEndPoint(MockBootstrapServers.Split(',')[0]);

        _native.SetBrokerHostPort(_cluster, BrokerId, advertisedHost, Port);
        BootstrapServers = FormatHostPort(advertisedHost, Port);
        _forwarder.Start(target);

        _logger.LogInformation(
            "Embedded Kafka broker listening on {BootstrapServers} (bound {BindEndpoint}, librdkafka mock cluster at {MockBootstrapServers}, library {Library})",
            BootstrapServers, _forwarder.LocalEndPoint, MockBootstrapServers, _native.LibraryPath);
    }

    /// <summary>
    /// Creates <paramref name="name"/> with <paramref name="partitions"/> partitions (0 or less: the
    /// settings' default). A topic that already exists is left as it is. True when the topic was created.
    /// </summary>
    public bool CreateTopic(string name, int partitions = 4)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (partitions <= 0) partitions = _defaultPartitions;
        ErrorCode result;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            result = _native.CreateTopic(_cluster, name, partitions, ReplicationFactor);
        }
        switch (result)
        {
            case ErrorCode.NoError:
                _logger.LogInformation("Embedded broker created topic {Topic} with {Partitions} partitions", name, partitions);
                return true;
            case ErrorCode.TopicAlreadyExists:
                _logger.LogDebug("Embedded broker already has topic {Topic}", name);
                return false;
            default:
                throw new InvalidOperationException(
                    $"The embedded broker could not create topic '{name}' with {partitions} partitions: {new Error(result).Reason} ({result}).");
        }
    }

    /// <summary>
    /// Simulates a broker outage for fault tests: every client connection is reset at once and new ones are reset on
    /// arrival until <paramref name="outage"/> is over; then the broker serves again with its topics, offsets and
    /// consumer groups intact (only the connections in front of the mock cluster are cut). Completes when the outage
    /// ends; returns how many client connections were reset.
    /// </summary>
    public async Task<int> InterruptAsync(TimeSpan outage, CancellationToken cancellationToken = default)
    {
        int reset;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            reset = _forwarder.Interrupt(outage);
        }
        _logger.LogWarning("Embedded broker on {BootstrapServers}: {Connections} client connection(s) reset; refusing connections for {Seconds:0.#} s",
            BootstrapServers, reset, outage.TotalSeconds);
        await Task.Delay(outage, cancellationToken).ConfigureAwait(false);
        // A timer may fire a little before the forwarder's clock says the outage is over.
        while (_forwarder.IsInterrupted) await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        _logger.LogWarning("Embedded broker on {BootstrapServers} accepts connections again", BootstrapServers);
        return reset;
    }

    /// <summary>Cheap liveness probe: the fixed address accepts a TCP connection.</summary>
    public bool IsHealthy()
    {
        if (!_forwarder.IsRunning || _forwarder.IsInterrupted) return false;
        var endpoint = ProbeEndPoint(_forwarder.LocalEndPoint);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            socket.ConnectAsync(endpoint, timeout.Token).AsTask().GetAwaiter().GetResult();
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            // Clients first, then the cluster, then the handle it hangs off.
            _forwarder.Dispose();
            if (_cluster != 0) _native.DestroyCluster(_cluster);
            _cluster = 0;
            if (_rk != 0) _native.DestroyHandle(_rk);
            _rk = 0;
            if (_loggerHandle.IsAllocated) _loggerHandle.Free();
        }
        if (BootstrapServers.Length > 0)
            _logger.LogInformation("Embedded Kafka broker on {BootstrapServers} stopped", BootstrapServers);
    }

    private static IPAddress ResolveBindAddress(EmbeddedBrokerSettings settings)
    {
        if (IPAddress.TryParse(settings.BindAddress, out var parsed)) return parsed;
        try
        {
            var addresses = Dns.GetHostAddresses(settings.BindAddress);
            return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? addresses.FirstOrDefault()
                ?? throw new SocketException((int)SocketError.HostNotFound);
        }
        catch (SocketException ex)
        {
            throw BrokerStartException.CannotBind(settings.Port, settings.BindAddress, ex);
        }
    }

    /// <summary>Wildcard and loopback binds advertise 127.0.0.1 (reachable from the host through a container's port mapping).</summary>
    private static string AdvertisedHost(IPAddress bind) =>
        bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any) || (IPAddress.IsLoopback(bind) && bind.AddressFamily == AddressFamily.InterNetwork)
            ? "127.0.0.1"
            : bind.ToString();

    private static IPEndPoint ProbeEndPoint(IPEndPoint bound) =>
        bound.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, bound.Port)
        : bound.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, bound.Port)
        : bound;

    private static string FormatHostPort(string host, int port) =>
        host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    private static IPEndPoint ParseEndPoint(string hostPort)
    {
        var colon = hostPort.LastIndexOf(':');
        if (colon <= 0) throw new InvalidOperationException($"Unexpected mock cluster address '{hostPort}'.");
        var host = hostPort[..colon].Trim('[', ']');
        var port = int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture);
        var address = IPAddress.TryParse(host, out var ip)
            ? ip
            : Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        return new IPEndPoint(address, port);
    }
}
