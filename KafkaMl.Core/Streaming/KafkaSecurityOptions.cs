namespace KafkaMl.Core.Streaming;

/// <summary>
/// What a secured Kafka cluster asks of its clients, under <c>KafkaMl:Kafka</c> (as environment variables
/// <c>KafkaMl__Kafka__SaslPassword</c>, ...): security protocol, SASL mechanism and credentials, and the TLS CA (plus an
/// optional client certificate and key). Files (<c>...Location</c>) and inline PEM text (<c>...Pem</c>) are alternatives;
/// the portal reads the files once and hands every job the PEM text, so job pods need no mounted files.
/// </summary>
/// <remarks><see cref="ToString"/> names what is configured and never a secret's value.</remarks>
public class KafkaSecurityOptions
{
    /// <summary><c>plaintext</c> (default), <c>ssl</c>, <c>sasl_plaintext</c> or <c>sasl_ssl</c>.</summary>
    public string? SecurityProtocol { get; set; }

    /// <summary><c>PLAIN</c>, <c>SCRAM-SHA-256</c> or <c>SCRAM-SHA-512</c>; required with a <c>sasl_*</c> protocol.</summary>
    public string? SaslMechanism { get; set; }

    public string? SaslUsername { get; set; }

    /// <summary>A secret: never logged, and a Kubernetes job reads it from its Secret.</summary>
    public string? SaslPassword { get; set; }

    /// <summary>PEM file of the CA that signed the brokers' certificates; empty = the system's CA store.</summary>
    public string? SslCaLocation { get; set; }

    /// <summary>The CA certificate(s) as PEM text, instead of <see cref="SslCaLocation"/>.</summary>
    public string? SslCaPem { get; set; }

    /// <summary>PEM file of the client certificate (mutual TLS); needs a key.</summary>
    public string? SslCertificateLocation { get; set; }

    public string? SslCertificatePem { get; set; }

    /// <summary>PEM file of the client certificate's private key (a secret).</summary>
    public string? SslKeyLocation { get; set; }

    /// <summary>The client key as PEM text (a secret).</summary>
    public string? SslKeyPem { get; set; }

    /// <summary>Password of an encrypted client key (a secret).</summary>
    public string? SslKeyPassword { get; set; }

    /// <summary>E.g. <c>sasl_ssl, SCRAM-SHA-512 as 'alice', CA given</c>: what is configured, without secrets.</summary>
    public override string ToString() => KafkaSecurity.Describe(this);
}
