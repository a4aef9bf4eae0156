using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using KafkaMl.Core.Orchestration.Kubernetes;
using KafkaMl.Tests.Jobs.Training;
using KafkaMl.Tests.Orchestration.Kubernetes;
using KafkaMl.Web.Cli;
using KafkaMl.Web.Jobs;
using Microsoft.AspNetCore.Mvc.Testing;
using k8s;

// Folder Deployment/, namespace Production: a namespace named Deployment would hide the domain type.
namespace KafkaMl.Tests.Packaging;

/// <summary>
/// An external, secured Kafka cluster: its settings (security protocol, SASL, TLS CA and client certificate) reach every
/// client the portal builds and every job it starts — on Kubernetes through the job's Secret — and never a log.
/// </summary>
public sealed class ExternalKafkaSpecs(SaslPortalFactory portal) : IClassFixture<SaslPortalFactory>
{
    private KafkaEndpoint Endpoint => portal.Services.GetRequiredService<KafkaEndpoint>();

    [Fact]
    public void A_portal_configured_for_SASL_builds_every_client_with_those_settings()
    {
        var consumer = KafkaClientConfig.Consumer(Endpoint, "group", "client");
        var producer = KafkaClientConfig.Producer(Endpoint, "client");
        var admin = KafkaClientConfig.Admin(Endpoint, "client");

        Assert.All(new ClientConfig[] { consumer, producer, admin }, config =>
        {
            Assert.Equal(SecurityProtocol.SaslPlaintext, config.SecurityProtocol);
            Assert.Equal(SaslMechanism.Plain, config.SaslMechanism);
            Assert.Equal(SaslPortalFactory.Username, config.SaslUsername);
            Assert.Equal(SaslPortalFactory.Password, config.SaslPassword);
            Assert.Equal(portal.Broker.BootstrapServers, config.BootstrapServers);
        });
        Assert.False(Endpoint.Embedded);
        Assert.DoesNotContain(SaslPortalFactory.Password, Endpoint.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_portals_training_jobs_get_the_cluster_and_its_security_settings_in_their_environment()
    {
        var spec = portal.Services.GetRequiredService<TrainingWorkload>().Spec(resultId: 7, deploymentId: 3);

        Assert.Equal(portal.Broker.BootstrapServers, spec.Environment[JobEnvironment.BootstrapServersVariable]);
        Assert.Equal("sasl_plaintext", spec.Environment["KafkaMl__Kafka__SecurityProtocol"]);
        Assert.Equal("PLAIN", spec.Environment["KafkaMl__Kafka__SaslMechanism"]);
        Assert.Equal(SaslPortalFactory.Username, spec.Environment["KafkaMl__Kafka__SaslUsername"]);
        Assert.Equal(SaslPortalFactory.Password, spec.Environment["KafkaMl__Kafka__SaslPassword"]);
    }

    [Fact]
    public void On_Kubernetes_the_jobs_secrets_travel_in_its_Secret_and_never_in_the_pod_spec()
    {
        var keyPem = "-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----";
        var endpoint = new KafkaEndpoint("kafka-1.example.com:9093", false, "KAFKA_ML_CONTROL_TOPIC", new KafkaSecurityOptions
        {
            SecurityProtocol = "sasl_ssl",
            SaslMechanism = "SCRAM-SHA-512",
            SaslUsername = "alice",
            SaslPassword = SaslPortalFactory.Password,
            SslCaPem = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----",
            SslCertificatePem = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----",
            SslKeyPem = keyPem,
        });
        var spec = new JobSpec("kafkaml-train-5", JobKind.Training, ["train", "--result", "5"],
            new Dictionary<string, string>(JobEnvironment.Kafka(endpoint)) { [JobEnvironment.TokenVariable] = "job-token" });
        var options = new KubernetesJobRunnerOptions { Image = "kafkaml:1" };

        var job = KubernetesWorkloads.Job(spec, "kafkaml", options);
        var secret = KubernetesWorkloads.Secret(spec, "kafkaml", options)!;

        var jobJson = KubernetesJson.Serialize(job);
        Assert.DoesNotContain(SaslPortalFactory.Password, jobJson, StringComparison.Ordinal);
        Assert.DoesNotContain("MIIBkey", jobJson, StringComparison.Ordinal);
        var env = job.Spec.Template.Spec.Containers[0].Env.ToDictionary(e => e.Name);
        Assert.Equal("KafkaMl__Kafka__SaslPassword", env["KafkaMl__Kafka__SaslPassword"].ValueFrom.SecretKeyRef.Key);
        Assert.Equal("KafkaMl__Kafka__SslKeyPem", env["KafkaMl__Kafka__SslKeyPem"].ValueFrom.SecretKeyRef.Key);
        Assert.Equal("alice", env["KafkaMl__Kafka__SaslUsername"].Value);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", env["KafkaMl__Kafka__SslCaPem"].Value, StringComparison.Ordinal);
        Assert.Equal(SaslPortalFactory.Password, Encoding.UTF8.GetString(secret.Data["KafkaMl__Kafka__SaslPassword"]));
        Assert.Equal(keyPem, Encoding.UTF8.GetString(secret.Data["KafkaMl__Kafka__SslKeyPem"]));
        Assert.Empty(KubernetesObjectChecks.Problems(JsonNode.Parse(jobJson)!.AsObject()));
        Assert.Empty(KubernetesObjectChecks.Problems(secret));
    }

    [Fact]
    public void A_job_builds_its_clients_from_the_settings_in_its_environment_and_its_own_X_settings_win()
    {
        var environment = JobEnvironment.Kafka(Endpoint);
        var options = CliOptions.Parse(["--result", "7", "-X", "sasl.username=override"], ["--result", "-X"], []);

        var settings = VerbKafkaSettings.From(options, name => environment.GetValueOrDefault(name));

        Assert.Equal("sasl_plaintext", settings["security.protocol"]);
        Assert.Equal("PLAIN", settings["sasl.mechanism"]);
        Assert.Equal(SaslPortalFactory.Password, settings["sasl.password"]);
        Assert.Equal("override", settings["sasl.username"]);
    }

    [Fact]
    public void A_job_whose_environment_holds_a_wrong_security_setting_stops_with_the_key_named()
    {
        var options = CliOptions.Parse(["--result", "7"], ["--result", "-X"], []);
        var environment = new Dictionary<string, string> { ["KafkaMl__Kafka__SecurityProtocol"] = "sasl_plaintext", ["KafkaMl__Kafka__SaslMechanism"] = "GSSAPI" };

        var error = Assert.Throws<CliUsageException>(() => VerbKafkaSettings.From(options, name => environment.GetValueOrDefault(name)));

        Assert.Contains("KafkaMl:Kafka:SaslMechanism must be one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; got 'GSSAPI'", error.Message, StringComparison.Ordinal);
        Assert.Contains("KafkaMl:Kafka:SaslUsername is required with sasl_plaintext", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_local_job_that_inherits_the_portals_CA_file_setting_uses_the_PEM_text_it_was_given()
    {
        var environment = new Dictionary<string, string>
        {
            ["KafkaMl__Kafka__SecurityProtocol"] = "ssl",
            ["KafkaMl__Kafka__SslCaLocation"] = "/portal/only/ca.pem", // the portal's own variable, inherited
            ["KafkaMl__Kafka__SslCaPem"] = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----",
        };

        var security = KafkaSecurity.FromEnvironment(name => environment.GetValueOrDefault(name));

        Assert.Empty(KafkaSecurity.Problems(security));
        Assert.Null(security.SslCaLocation);
        Assert.Equal(["security.protocol", "ssl.ca.pem"], KafkaSecurity.ClientSettings(security).Select(s => s.Key));
    }

    [Theory]
    [InlineData("SecurityProtocol=tls", "KafkaMl:Kafka:SecurityProtocol must be one of plaintext, ssl, sasl_plaintext, sasl_ssl; got 'tls'.")]
    [InlineData("SecurityProtocol=sasl_ssl;SaslUsername=a;SaslPassword=b", "KafkaMl:Kafka:SaslMechanism is required with sasl_ssl")]
    [InlineData("SaslUsername=a;SaslPassword=b", "KafkaMl:Kafka:SecurityProtocol is required with the other security settings")]
    [InlineData("SecurityProtocol=sasl_ssl;SaslMechanism=PLAIN;SaslUsername=a", "KafkaMl:Kafka:SaslPassword is required with sasl_ssl.")]
    [InlineData("SecurityProtocol=ssl;SaslUsername=a", "KafkaMl:Kafka:SaslUsername applies only with KafkaMl:Kafka:SecurityProtocol sasl_plaintext or sasl_ssl; it is 'ssl'.")]
    [InlineData("SecurityProtocol=sasl_plaintext;SaslMechanism=PLAIN;SaslUsername=a;SaslPassword=b;SslCaPem=x", "KafkaMl:Kafka:SslCaPem applies only with KafkaMl:Kafka:SecurityProtocol ssl or sasl_ssl")]
    [InlineData("SecurityProtocol=ssl;SslCaPem=x;SslCaLocation=/ca.pem", "Give KafkaMl:Kafka:SslCaLocation or KafkaMl:Kafka:SslCaPem, not both.")]
    [InlineData("SecurityProtocol=ssl;SslCertificatePem=x", "A client certificate needs its key and a key its certificate")]
    public void Security_settings_that_cannot_work_are_refused_with_the_key_named(string settings, string expected)
    {
        var options = new KafkaSecurityOptions();
        foreach (var pair in settings.Split(';').Select(p => p.Split('=', 2)))
            typeof(KafkaSecurityOptions).GetProperty(pair[0])!.SetValue(options, pair[1]);

        Assert.Contains(KafkaSecurity.Problems(options), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Security_settings_without_bootstrap_servers_are_refused_since_the_embedded_broker_is_plaintext_only()
    {
        var options = new KafkaSecurityOptions { SecurityProtocol = "sasl_ssl", SaslMechanism = "PLAIN", SaslUsername = "a", SaslPassword = "b" };

        Assert.Equal(["KafkaMl:Kafka security settings are for an external cluster: set KafkaMl:Kafka:BootstrapServers too (the embedded broker is plaintext only)."],
            KafkaSecurity.Problems(options, embedded: true));
        Assert.Empty(KafkaSecurity.Problems(options));
        Assert.Empty(KafkaSecurity.Problems(new KafkaSecurityOptions { SecurityProtocol = "PLAINTEXT" }, embedded: true)); // the default, spelt out
    }

    [Fact]
    public async Task A_portal_with_a_wrong_security_setting_does_not_start_and_says_which_key_is_wrong()
    {
        // The real executable, as a user meets it: a message naming the key on stderr, exit code 1, no password.
        using var broken = KafkaMlProcess.Start(
        [
            "--urls=http://127.0.0.1:0",
            $"--KafkaMl:DataDir={Path.Combine(portal.DataDir, "broken")}",
            "--KafkaMl:Kafka:BootstrapServers=kafka.example.com:9093",
            "--KafkaMl:Kafka:SecurityProtocol=sasl_ssl",
            "--KafkaMl:Kafka:SaslMechanism=PLAIN",
            "--KafkaMl:Kafka:SaslUsername=alice",
            $"--KafkaMl:Kafka:SaslPassword={SaslPortalFactory.Password}",
            "--KafkaMl:Kafka:SslCaLocation=/nonexistent/ca.pem",
        ]);

        Assert.Equal(1, await broken.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        var output = string.Join("\n", broken.StderrLines.Concat(broken.StdoutLines));
        Assert.Contains("KafkaMl:Kafka:SslCaLocation: cannot read '/nonexistent/ca.pem'", output, StringComparison.Ordinal);
        Assert.DoesNotContain(SaslPortalFactory.Password, output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_CA_file_is_read_once_so_clients_and_jobs_get_its_PEM_text_and_librdkafka_accepts_it()
    {
        var caPem = SelfSignedCertificatePem();
        var file = Path.Combine(portal.DataDir, "ca.pem");
        File.WriteAllText(file, caPem);
        var resolved = KafkaSecurity.Resolve(new KafkaSecurityOptions { SecurityProtocol = "SSL", SslCaLocation = file });
        var endpoint = new KafkaEndpoint("127.0.0.1:1", false, "KAFKA_ML_CONTROL_TOPIC", resolved);

        Assert.Equal(caPem.Trim(), resolved.SslCaPem);
        Assert.Null(resolved.SslCaLocation);
        Assert.Equal(caPem.Trim(), JobEnvironment.Kafka(endpoint)["KafkaMl__Kafka__SslCaPem"]);
        using (new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(endpoint, "ca-check")).SetLogHandler((_, _) => { }).Build())
        {
            // librdkafka parsed the certificate when it built the client.
        }
        var garbled = endpoint with { Security = new KafkaSecurityOptions { SecurityProtocol = "ssl", SslCaPem = "not a certificate" } };
        var refusal = Assert.ThrowsAny<Exception>(() => new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.Producer(garbled, "ca-check")).SetLogHandler((_, _) => { }).Build());
        Assert.Contains("ssl.ca.pem", refusal.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_SASL_password_appears_in_no_log_of_the_portal_nor_of_a_job_it_starts()
    {
        using var http = portal.CreateClient();
        var health = await (await http.GetAsync("/healthz")).Content.ReadAsStringAsync(); // 503: the broker check fails SASL
        var status = await http.GetStringAsync("/api/status");
        // The control logger's consumer tried SASL and failed: the settings reached a client, which logged why.
        await Eventually.Until(() => portal.Logs.Text.Contains("SASL", StringComparison.Ordinal), "the portal to log SASL", TimeSpan.FromMilliseconds(100));

        // The training job the portal would start, run for real (the `train` verb) against a stand-in of the portal's
        // job endpoints; it fetches its spec, then fails the SASL handshake while waiting for its control message.
        var spec = portal.Services.GetRequiredService<TrainingWorkload>().Spec(resultId: 7, deploymentId: 3);
        await using var jobPortal = await FakePortal.StartAsync();
        jobPortal.Spec = JobData.Spec(JobData.NewDeploymentId());
        var environment = spec.Environment.ToDictionary(e => e.Key, e => (string?)e.Value);
        environment[JobEnvironment.PortalUrlVariable] = jobPortal.Url.ToString();
        using var job = KafkaMlProcess.Start(spec.Arguments, environment);
        await job.WaitForLineAsync(line => line.Contains("SASL", StringComparison.Ordinal), Eventually.Patience);
        await job.StopAsync(Eventually.Patience);

        Assert.Contains(portal.Logs.Entries, e => e.Contains($"sasl_plaintext, PLAIN as '{SaslPortalFactory.Username}'", StringComparison.Ordinal));
        Assert.DoesNotContain(SaslPortalFactory.Password, portal.Logs.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(SaslPortalFactory.Password, job.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(SaslPortalFactory.Password, health + status, StringComparison.Ordinal);
    }

    private static string SelfSignedCertificatePem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=KafkaMl test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return certificate.ExportCertificatePem() + "\n";
    }
}
