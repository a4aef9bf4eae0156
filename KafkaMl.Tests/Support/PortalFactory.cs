using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace KafkaMl.Tests.Support;

/// <summary>
/// The whole portal in the test process: the real embedded broker (on a free port), a real SQLite
/// file in a temporary data directory, and a real Hangfire server. One per test collection. Access control is on
/// (accounts mode, admin <see cref="TestAdmin"/>); clients from <c>CreateClient()</c> carry an admin API token.
/// </summary>
public sealed class PortalFactory : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory("kafkaml-portal-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("KafkaMl:DataDir", DataDir);
        builder.UseSetting("KafkaMl:Kafka:EmbeddedPort", "0");
        builder.UseSetting("KafkaMl:Kafka:BootstrapServers", "");
        builder.UseTestAdmin();
    }

    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.AuthorizeAsAdmin(Services);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } // SQLite may still hold a handle briefly
    }
}

[CollectionDefinition(Name)]
public sealed class PortalCollection : ICollectionFixture<PortalFactory>
{
    public const string Name = "portal";
}
