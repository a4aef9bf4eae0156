using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace KafkaMl.Core.Broker;

/// <summary>
/// librdkafka's mock-cluster API (<c>rdkafka_mock.h</c>), bound to the very library file Confluent.Kafka
/// loaded. Confluent.Kafka picks one of several builds at run time (on Debian the plain
/// <c>librdkafka.so</c> needs the absent <c>libsasl2.so.3</c>, so it falls back to
/// <c>centos8-librdkafka.so</c>); binding by name could load a second copy, so the path is read back
/// from the process's own memory map and opened again, which returns the same loader handle.
/// </summary>
internal sealed unsafe class LibRdKafkaMock
{
    private const int ProducerType = 0; // RD_KAFKA_PRODUCER
    private const int ConfOk = 0;       // RD_KAFKA_CONF_OK

    private static readonly Lazy<LibRdKafkaMock> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly delegate* unmanaged<nint> _confNew;
    private readonly delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int> _confSet;
    private readonly delegate* unmanaged<nint, nint, void> _confSetOpaque;
    private readonly delegate* unmanaged<nint, delegate* unmanaged<nint, int, byte*, byte*, void>, void> _confSetLogCb;
    private readonly delegate* unmanaged<nint, void> _confDestroy;
    private readonly delegate* unmanaged<int, nint, byte*, nuint, nint> _new;
    private readonly delegate* unmanaged<nint, void> _destroy;
    private readonly delegate* unmanaged<nint, nint> _opaque;
    private readonly delegate* unmanaged<nint, int, nint> _clusterNew;
    private readonly delegate* unmanaged<nint, void> _clusterDestroy;
    private readonly delegate* unmanaged<nint, byte*> _clusterBootstraps;
    private readonly delegate* unmanaged<nint, byte*, int, int, int> _topicCreate;
    private readonly delegate* unmanaged<nint, int, byte*, int, void> _brokerSetHostPort;
    private readonly delegate* unmanaged<nint, int, void> _groupInitialRebalanceDelayMs;
    private readonly delegate* unmanaged<nint, int, void> _consumerGroupSessionTimeoutMs;
    private readonly delegate* unmanaged<nint, int, void> _consumerGroupHeartbeatIntervalMs;

    private LibRdKafkaMock(string libraryPath, nint lib)
    {
        LibraryPath = libraryPath;
        _confNew = (delegate* unmanaged<nint>)Export(lib, "rd_kafka_conf_new");
        _confSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)Export(lib, "rd_kafka_conf_set");
        _confSetOpaque = (delegate* unmanaged<nint, nint, void>)Export(lib, "rd_kafka_conf_set_opaque");
        _confSetLogCb = (delegate* unmanaged<nint, delegate* unmanaged<nint, int, byte*, byte*, void>, void>)Export(lib, "rd_kafka_conf_set_log_cb");
        _confDestroy = (delegate* unmanaged<nint, void>)Export(lib, "rd_kafka_conf_destroy");
        _new = (delegate* unmanaged<int, nint, byte*, nuint, nint>)Export(lib, "rd_kafka_new");
        _destroy = (delegate* unmanaged<nint, void>)Export(lib, "rd_kafka_destroy");
        _opaque = (delegate* unmanaged<nint, nint>)Export(lib, "rd_kafka_opaque");
        _clusterNew = (delegate* unmanaged<nint, int, nint>)Export(lib, "rd_kafka_mock_cluster_new");
        _clusterDestroy = (delegate* unmanaged<nint, void>)Export(lib, "rd_kafka_mock_cluster_destroy");
        _clusterBootstraps = (delegate* unmanaged<nint, byte*>)Export(lib, "rd_kafka_mock_cluster_bootstraps");
        _topicCreate = (delegate* unmanaged<nint, byte*, int, int, int>)Export(lib, "rd_kafka_mock_topic_create");
        _brokerSetHostPort = (delegate* unmanaged<nint, int, byte*, int, void>)Export(lib, "rd_kafka_mock_broker_set_host_port");
        _groupInitialRebalanceDelayMs = (delegate* unmanaged<nint, int, void>)Export(lib, "rd_kafka_mock_group_initial_rebalance_delay_ms");
        _consumerGroupSessionTimeoutMs = (delegate* unmanaged<nint, int, void>)Export(lib, "rd_kafka_mock_set_group_consumer_session_timeout_ms");
        _consumerGroupHeartbeatIntervalMs = (delegate* unmanaged<nint, int, void>)Export(lib, "rd_kafka_mock_set_group_consumer_heartbeat_interval_ms");
    }

    /// <summary>The librdkafka file both Confluent.Kafka and the mock cluster run on.</summary>
    public string LibraryPath { get; }

    /// <summary>Binds once per process; throws when librdkafka or its mock API cannot be found.</summary>
    public static LibRdKafkaMock Instance => Loaded.Value;

    private static LibRdKafkaMock Load()
    {
        // Reading the version makes Confluent.Kafka choose and load its librdkafka build.
        _ = Library.Version;
        var path = FindLoadedLibrdkafka();
        var lib = path is not null
            ? NativeLibrary.Load(path)
            : NativeLibrary.Load("librdkafka", typeof(Library).Assembly, null);
        return new LibRdKafkaMock(path ?? "librdkafka", lib);
    }

    /// <summary>The path of the librdkafka file mapped into this process (Linux), or null.</summary>
    internal static string? FindLoadedLibrdkafka()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        foreach (var line in File.ReadLines(maps))
        {
            var slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..];
            var name = Path.GetFileName(path);
            if (name.Contains("librdkafka", StringComparison.Ordinal)
                && (name.EndsWith(".so", StringComparison.Ordinal) || name.Contains(".so.", StringComparison.Ordinal)))
                return path;
        }
        return null;
    }

    private static nint Export(nint lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out var address)
            ? address
            : throw new EntryPointNotFoundException($"librdkafka has no export '{name}' (a build without the mock cluster?)");

    /// <summary>
    /// Creates the <c>rd_kafka_t</c> handle a mock cluster hangs off; its log lines go to the
    /// <see cref="ILogger"/> that <paramref name="loggerHandle"/> holds.
    /// </summary>
    public nint CreateHandle(GCHandle loggerHandle)
    {
        var conf = _confNew();
        SetConf(conf, "client.id", "kafkaml-embedded-broker");
        _confSetOpaque(conf, GCHandle.ToIntPtr(loggerHandle));
        _confSetLogCb(conf, &OnLog);
        var errstr = stackalloc byte[512];
        var rk = _new(ProducerType, conf, errstr, 512);
        if (rk == 0)
        {
            _confDestroy(conf); // rd_kafka_new only takes ownership on success
            throw new InvalidOperationException($"rd_kafka_new failed: {Utf8(errstr)}");
        }
        return rk;
    }

    public void DestroyHandle(nint rk) => _destroy(rk);

    public nint CreateCluster(nint rk, int brokers)
    {
        var mc = _clusterNew(rk, brokers);
        return mc != 0 ? mc : throw new InvalidOperationException("rd_kafka_mock_cluster_new returned no cluster");
    }

    public void DestroyCluster(nint mc) => _clusterDestroy(mc);

    public string Bootstraps(nint mc) => Utf8(_clusterBootstraps(mc));

    public ErrorCode CreateTopic(nint mc, string topic, int partitions, int replicationFactor)
    {
        fixed (byte* name = NulTerminated(topic))
            return (ErrorCode)_topicCreate(mc, name, partitions, replicationFactor);
    }

    public void SetBrokerHostPort(nint mc, int brokerId, string host, int port)
    {
        fixed (byte* h = NulTerminated(host))
            _brokerSetHostPort(mc, brokerId, h, port);
    }

    public void SetGroupInitialRebalanceDelay(nint mc, int delayMs) => _groupInitialRebalanceDelayMs(mc, delayMs);

    /// <summary>Consumer-protocol groups (KIP-848): how long a silent member keeps its partitions, and how often members heartbeat.</summary>
    public void SetConsumerGroupTimings(nint mc, int sessionTimeoutMs, int heartbeatIntervalMs)
    {
        _consumerGroupSessionTimeoutMs(mc, sessionTimeoutMs);
        _consumerGroupHeartbeatIntervalMs(mc, heartbeatIntervalMs);
    }

    private void SetConf(nint conf, string name, string value)
    {
        var errstr = stackalloc byte[512];
        fixed (byte* n = NulTerminated(name))
        fixed (byte* v = NulTerminated(value))
        {
            if (_confSet(conf, n, v, errstr, 512) != ConfOk)
                throw new InvalidOperationException($"rd_kafka_conf_set({name}) failed: {Utf8(errstr)}");
        }
    }

    /// <summary>librdkafka's log callback (any librdkafka thread): syslog levels to <see cref="ILogger"/>.</summary>
    [UnmanagedCallersOnly]
    private static void OnLog(nint rk, int level, byte* facility, byte* message)
    {
        try
        {
            var opaque = Loaded.IsValueCreated ? Loaded.Value._opaque(rk) : 0;
            if (opaque == 0 || GCHandle.FromIntPtr(opaque).Target is not ILogger logger) return;
            // The mock's meaningful messages are warnings and errors; notice/info are its client chatter.
            var logLevel = level switch
            {
                <= 2 => LogLevel.Critical,
                3 => LogLevel.Error,
                4 => LogLevel.Warning,
                _ => LogLevel.Debug,
            };
            if (logger.IsEnabled(logLevel))
                logger.Log(logLevel, "librdkafka {Facility}: {Message}", Utf8(facility), Utf8(message));
        }
        catch
        {
            // Never let an exception cross back into native code.
        }
    }

    private static byte[] NulTerminated(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static string Utf8(byte* s) => s == null ? "" : Marshal.PtrToStringUTF8((nint)s) ?? "";
}
