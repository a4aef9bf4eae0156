namespace KafkaMl.Core.Streaming;

/// <summary>
/// The Kafka cluster this process talks to — the embedded broker or an external cluster — and the
/// address handed to every job it starts.
/// </summary>
public sealed record KafkaEndpoint(string BootstrapServers, bool Embedded, string ControlTopic);
