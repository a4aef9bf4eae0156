namespace KafkaMl.Core.Broker;

/// <summary>Where the embedded broker listens.</summary>
/// <param name="Port">Fixed port clients connect to and metadata advertises; 0 picks any free port.</param>
/// <param name="BindAddress">
/// Address the listener binds: loopback by default, <c>0.0.0.0</c> inside a container so the host can
/// reach it. Both advertise <c>127.0.0.1</c>; any other address is advertised as itself.
/// </param>
/// <param name="DefaultPartitions">
/// Partitions of topics pre-created without a count. Topics auto-created on first use always get the
/// mock cluster's 4.
/// </param>
public sealed record EmbeddedBrokerSettings(int Port = 9092, string BindAddress = "127.0.0.1", int DefaultPartitions = 4);
