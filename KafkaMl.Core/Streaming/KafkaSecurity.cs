namespace KafkaMl.Core.Streaming;

/// <summary>
/// The one place that checks <see cref="KafkaSecurityOptions"/>, turns them into librdkafka settings, and carries them
/// to jobs as environment variables named like the configuration keys (<c>KafkaMl__Kafka__SaslPassword</c>, ...).
/// </summary>
public static class KafkaSecurity
{
    public static readonly string[] Protocols = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"];

    /// <summary>The mechanisms librdkafka implements without Cyrus SASL (absent from KafkaMl's image and Debian's librdkafka build).</summary>
    public static readonly string[] Mechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

    /// <summary>Prefix of the configuration keys and, with <c>__</c> for <c>:</c>, of the environment variables.</summary>
    public const string Section = "KafkaMl:Kafka";

    /// <summary>Environment variable of a setting, e.g. <c>KafkaMl__Kafka__SaslPassword</c>.</summary>
    public static string Variable(string property) => $"{Section.Replace(":", "__", StringComparison.Ordinal)}__{property}";

    /// <summary>Environment variables whose values are secrets even though their names do not say so.</summary>
    public static readonly string[] SecretVariables = [Variable(nameof(KafkaSecurityOptions.SslKeyPem))];

    /// <summary>Whether any security setting is given (<c>plaintext</c> alone is the default, not a setting).</summary>
    public static bool IsConfigured(KafkaSecurityOptions options) =>
        Values(options).Any(v => !string.IsNullOrWhiteSpace(v.Value)
            && !(v.Key == nameof(options.SecurityProtocol) && string.Equals(v.Value.Trim(), "plaintext", StringComparison.OrdinalIgnoreCase)));

    /// <summary>Why <paramref name="options"/> cannot work, each naming its key; empty when they can.</summary>
    /// <param name="embedded">True when no bootstrap servers are configured: the embedded broker takes no security settings.</param>
    public static IReadOnlyList<string> Problems(KafkaSecurityOptions options, bool embedded = false)
    {
        var problems = new List<string>();
        if (!IsConfigured(options)) return problems;
        if (embedded)
        {
            problems.Add($"{Section} security settings are for an external cluster: set {Section}:BootstrapServers too (the embedded broker is plaintext only).");
            return problems;
        }
        var protocol = Protocol(options);
        if (string.IsNullOrWhiteSpace(options.SecurityProtocol))
        {
            problems.Add($"{Key(nameof(options.SecurityProtocol))} is required with the other security settings: one of {string.Join(", ", Protocols)}.");
            return problems;
        }
        if (protocol is null)
        {
            problems.Add($"{Key(nameof(options.SecurityProtocol))} must be one of {string.Join(", ", Protocols)}; got '{options.SecurityProtocol}'.");
            return problems;
        }

        var sasl = protocol.StartsWith("sasl_", StringComparison.Ordinal);
        var ssl = protocol.EndsWith("ssl", StringComparison.Ordinal);
        if (sasl)
        {
            if (string.IsNullOrWhiteSpace(options.SaslMechanism))
                problems.Add($"{Key(nameof(options.SaslMechanism))} is required with {protocol}: one of {string.Join(", ", Mechanisms)}.");
            else if (Mechanism(options) is null)
                problems.Add($"{Key(nameof(options.SaslMechanism))} must be one of {string.Join(", ", Mechanisms)}; got '{options.SaslMechanism}'.");
            if (string.IsNullOrWhiteSpace(options.SaslUsername)) problems.Add($"{Key(nameof(options.SaslUsername))} is required with {protocol}.");
            if (string.IsNullOrEmpty(options.SaslPassword)) problems.Add($"{Key(nameof(options.SaslPassword))} is required with {protocol}.");
        }
        else
        {
            foreach (var name in new[] { nameof(options.SaslMechanism), nameof(options.SaslUsername), nameof(options.SaslPassword) })
                if (Given(options, name)) problems.Add($"{Key(name)} applies only with {Key(nameof(options.SecurityProtocol))} sasl_plaintext or sasl_ssl; it is '{protocol}'.");
        }

        var tls = new[]
        {
            (nameof(options.SslCaLocation), nameof(options.SslCaPem)),
            (nameof(options.SslCertificateLocation), nameof(options.SslCertificatePem)),
            (nameof(options.SslKeyLocation), nameof(options.SslKeyPem)),
        };
        foreach (var (file, pem) in tls)
        {
            if (Given(options, file) && Given(options, pem)) problems.Add($"Give {Key(file)} or {Key(pem)}, not both.");
            if (!ssl && (Given(options, file) || Given(options, pem)))
                problems.Add($"{Key(Given(options, file) ? file : pem)} applies only with {Key(nameof(options.SecurityProtocol))} ssl or sasl_ssl; it is '{protocol}'.");
        }
        var certificate = Given(options, nameof(options.SslCertificateLocation)) || Given(options, nameof(options.SslCertificatePem));
        var key = Given(options, nameof(options.SslKeyLocation)) || Given(options, nameof(options.SslKeyPem));
        if (certificate != key) problems.Add($"A client certificate needs its key and a key its certificate: give both {Key("SslCertificate...")} and {Key("SslKey...")}, or neither.");
        if (!key && Given(options, nameof(options.SslKeyPassword))) problems.Add($"{Key(nameof(options.SslKeyPassword))} is set but no client key is.");
        return problems;
    }

    /// <summary>
    /// <paramref name="options"/> with every <c>...Location</c> file read into its <c>...Pem</c> counterpart, as jobs
    /// receive them. Throws <see cref="KafkaSecurityException"/> naming the key and the file when one cannot be read.
    /// </summary>
    public static KafkaSecurityOptions Resolve(KafkaSecurityOptions options) => new()
    {
        SecurityProtocol = Protocol(options),
        SaslMechanism = Mechanism(options),
        SaslUsername = Blank(options.SaslUsername),
        SaslPassword = string.IsNullOrEmpty(options.SaslPassword) ? null : options.SaslPassword,
        SslCaPem = Blank(options.SslCaPem) ?? Read(nameof(options.SslCaLocation), options.SslCaLocation),
        SslCertificatePem = Blank(options.SslCertificatePem) ?? Read(nameof(options.SslCertificateLocation), options.SslCertificateLocation),
        SslKeyPem = Blank(options.SslKeyPem) ?? Read(nameof(options.SslKeyLocation), options.SslKeyLocation),
        SslKeyPassword = string.IsNullOrEmpty(options.SslKeyPassword) ? null : options.SslKeyPassword,
    };

    /// <summary>The librdkafka settings of <paramref name="options"/> (only those given), for every producer, consumer and admin client.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ClientSettings(KafkaSecurityOptions? options)
    {
        if (options is null) yield break;
        // Values as given (case aside): an unchecked wrong one is then refused by librdkafka, never silently dropped.
        if (Blank(options.SecurityProtocol) is { } protocol) yield return new("security.protocol", protocol.ToLowerInvariant());
        if (Blank(options.SaslMechanism) is { } mechanism) yield return new("sasl.mechanism", mechanism.ToUpperInvariant());
        if (Blank(options.SaslUsername) is { } username) yield return new("sasl.username", username);
        if (!string.IsNullOrEmpty(options.SaslPassword)) yield return new("sasl.password", options.SaslPassword);
        if (Blank(options.SslCaLocation) is { } ca) yield return new("ssl.ca.location", ca);
        if (Blank(options.SslCaPem) is { } caPem) yield return new("ssl.ca.pem", caPem);
        if (Blank(options.SslCertificateLocation) is { } certificate) yield return new("ssl.certificate.location", certificate);
        if (Blank(options.SslCertificatePem) is { } certificatePem) yield return new("ssl.certificate.pem", certificatePem);
        if (Blank(options.SslKeyLocation) is { } key) yield return new("ssl.key.location", key);
        if (Blank(options.SslKeyPem) is { } keyPem) yield return new("ssl.key.pem", keyPem);
        if (!string.IsNullOrEmpty(options.SslKeyPassword)) yield return new("ssl.key.password", options.SslKeyPassword);
    }

    /// <summary>The environment variables that hand <paramref name="options"/> (resolved: PEM text, no files) to a job.</summary>
    public static IReadOnlyDictionary<string, string> JobEnvironment(KafkaSecurityOptions? options)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in options is null ? [] : Values(options))
            if (!string.IsNullOrWhiteSpace(value)) environment[Variable(name)] = value;
        return environment;
    }

    /// <summary>
    /// The settings a job finds in its environment (<see cref="JobEnvironment"/>'s variables). PEM text wins over a file
    /// of the same item: a local job may inherit the portal's own <c>...Location</c> variable besides the PEM it was given.
    /// </summary>
    public static KafkaSecurityOptions FromEnvironment(Func<string, string?> environment)
    {
        string? Get(string property) => Blank(environment(Variable(property)));
        var caPem = Get(nameof(KafkaSecurityOptions.SslCaPem));
        var certificatePem = Get(nameof(KafkaSecurityOptions.SslCertificatePem));
        var keyPem = Get(nameof(KafkaSecurityOptions.SslKeyPem));
        return new KafkaSecurityOptions
        {
            SecurityProtocol = Get(nameof(KafkaSecurityOptions.SecurityProtocol)),
            SaslMechanism = Get(nameof(KafkaSecurityOptions.SaslMechanism)),
            SaslUsername = Get(nameof(KafkaSecurityOptions.SaslUsername)),
            SaslPassword = environment(Variable(nameof(KafkaSecurityOptions.SaslPassword))) is { Length: > 0 } password ? password : null,
            SslCaLocation = caPem is null ? Get(nameof(KafkaSecurityOptions.SslCaLocation)) : null,
            SslCaPem = caPem,
            SslCertificateLocation = certificatePem is null ? Get(nameof(KafkaSecurityOptions.SslCertificateLocation)) : null,
            SslCertificatePem = certificatePem,
            SslKeyLocation = keyPem is null ? Get(nameof(KafkaSecurityOptions.SslKeyLocation)) : null,
            SslKeyPem = keyPem,
            SslKeyPassword = environment(Variable(nameof(KafkaSecurityOptions.SslKeyPassword))) is { Length: > 0 } keyPassword ? keyPassword : null,
        };
    }

    /// <summary>What is configured, for logs: protocol, mechanism, user name, which TLS material is given; never a secret.</summary>
    public static string Describe(KafkaSecurityOptions options)
    {
        if (!IsConfigured(options)) return "plaintext";
        var parts = new List<string> { Protocol(options) ?? options.SecurityProtocol ?? "plaintext" };
        if (Blank(options.SaslMechanism) is { } mechanism) parts.Add(Blank(options.SaslUsername) is { } user ? $"{mechanism} as '{user}'" : mechanism);
        if (Given(options, nameof(options.SslCaLocation)) || Given(options, nameof(options.SslCaPem))) parts.Add("CA given");
        if (Given(options, nameof(options.SslCertificateLocation)) || Given(options, nameof(options.SslCertificatePem))) parts.Add("client certificate given");
        return string.Join(", ", parts);
    }

    private static string? Protocol(KafkaSecurityOptions options)
    {
        var value = Blank(options.SecurityProtocol)?.ToLowerInvariant();
        return value is null ? null : Protocols.FirstOrDefault(p => p == value);
    }

    private static string? Mechanism(KafkaSecurityOptions options)
    {
        var value = Blank(options.SaslMechanism)?.ToUpperInvariant();
        return value is null ? null : Mechanisms.FirstOrDefault(m => m == value);
    }

    private static IEnumerable<KeyValuePair<string, string?>> Values(KafkaSecurityOptions options) =>
    [
        new(nameof(options.SecurityProtocol), options.SecurityProtocol),
        new(nameof(options.SaslMechanism), options.SaslMechanism),
        new(nameof(options.SaslUsername), options.SaslUsername),
        new(nameof(options.SaslPassword), options.SaslPassword),
        new(nameof(options.SslCaLocation), options.SslCaLocation),
        new(nameof(options.SslCaPem), options.SslCaPem),
        new(nameof(options.SslCertificateLocation), options.SslCertificateLocation),
        new(nameof(options.SslCertificatePem), options.SslCertificatePem),
        new(nameof(options.SslKeyLocation), options.SslKeyLocation),
        new(nameof(options.SslKeyPem), options.SslKeyPem),
        new(nameof(options.SslKeyPassword), options.SslKeyPassword),
    ];

    private static bool Given(KafkaSecurityOptions options, string property) =>
        Values(options).Any(v => v.Key == property && !string.IsNullOrWhiteSpace(v.Value));

    private static string Key(string property) => $"{Section}:{property}";

    private static string? Read(string property, string? path)
    {
        if (Blank(path) is not { } file) return null;
        try
        {
            return Blank(File.ReadAllText(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KafkaSecurityException($"{Key(property)}: cannot read '{file}': {e.Message}");
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>A Kafka security setting that cannot work; the message names the configuration key.</summary>
public sealed class KafkaSecurityException(string message) : Exception(message);
