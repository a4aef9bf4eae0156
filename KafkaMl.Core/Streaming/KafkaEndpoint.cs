namespace KafkaMl.Core.Streaming;

/// <summary>
/// The Kafka cluster this process talks to — the embedded broker or an external cluster — and the
/// address handed to every job it starts, with the cluster's security settings (resolved: PEM text,
/// no files; null = plaintext), and the group protocol its inference replicas are told to use (null: theirs to choose
/// from <see cref="Embedded"/>). Its <c>ToString</c> shows no secret.
/// </summary>
public sealed record KafkaEndpoint(string BootstrapServers, bool Embedded, string ControlTopic, KafkaSecurityOptions? Security = null, string? GroupProtocol = null);
