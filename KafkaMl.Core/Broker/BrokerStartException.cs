namespace KafkaMl.Core.Broker;

/// <summary>The embedded broker could not start; the message says why and what to change.</summary>
public sealed class BrokerStartException : Exception
{
    public BrokerStartException(string message, int port, Exception? innerException = null)
        : base(message, innerException) => Port = port;

    /// <summary>The port that was asked for (0 = any).</summary>
    public int Port { get; }

    internal static BrokerStartException PortInUse(int port, string bindAddress, Exception inner) => new(
        $"Port {port} on {bindAddress} is already in use; set KafkaMl:Kafka:EmbeddedPort to a free port (0 = any) " +
        "or point KafkaMl:Kafka:BootstrapServers at an external cluster.", port, inner);

    internal static BrokerStartException CannotBind(int port, string bindAddress, Exception inner) => new(
        $"Port {port} on {bindAddress} cannot be bound ({inner.Message}); set KafkaMl:Kafka:EmbeddedPort and " +
        "KafkaMl:Kafka:EmbeddedBindAddress to a usable port and local address, or point " +
        "KafkaMl:Kafka:BootstrapServers at an external cluster.", port, inner);

    internal static BrokerStartException MockClusterFailed(int port, Exception inner) => new(
        $"librdkafka's mock cluster could not be started ({inner.Message}); point " +
        "KafkaMl:Kafka:BootstrapServers at an external cluster instead.", port, inner);
}
