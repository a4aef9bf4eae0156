using KafkaMl.Core.Broker;
using Microsoft.AspNetCore.Mvc.Testing;

// Folder Deployment/, namespace Production: a namespace named Deployment would hide the domain type.
namespace KafkaMl.Tests.Packaging;

/// <summary>
/// The whole portal configured for an external cluster secured with SASL/PLAIN, every log entry captured. The "cluster"
/// is a real broker (the embedded one, started apart from the portal on a free port) that speaks no SASL, so every client
/// the portal builds with these settings fails its handshake visibly — proof the settings reached it.
/// </summary>
public sealed class SaslPortalFactory : WebApplicationFactory<Program>
{
    public const string Username = "kafkaml-sasl-user";

    /// <summary>Distinctive, so that a search of the logs cannot miss it or find it by chance.</summary>
    public const string Password = "Pw-3a9f71c2e8-never-logged";

    public const string PortalUrl = "http://127.0.0.1:5997";

    public EmbeddedBroker Broker { get; } = EmbeddedBroker.Start(new EmbeddedBrokerSettings(Port: 0));

    public CapturedLogs Logs { get; } = new();

    public string DataDir { get; } = Directory.CreateTempSubdirectory("kafkaml-sasl-portal-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("KafkaMl:DataDir", DataDir);
        builder.UseSetting("KafkaMl:PortalUrl", PortalUrl);
        builder.UseSetting("KafkaMl:Kafka:BootstrapServers", Broker.BootstrapServers);
        builder.UseSetting("KafkaMl:Kafka:SecurityProtocol", "SASL_PLAINTEXT");
        builder.UseSetting("KafkaMl:Kafka:SaslMechanism", "plain");
        builder.UseSetting("KafkaMl:Kafka:SaslUsername", Username);
        builder.UseSetting("KafkaMl:Kafka:SaslPassword", Password);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace));
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Broker.Dispose();
        InProcessPortal.DeleteDataDir(DataDir);
    }
}
