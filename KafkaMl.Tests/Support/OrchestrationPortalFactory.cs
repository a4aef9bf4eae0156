using KafkaMl.Core.Orchestration;
using KafkaMl.Core.Scripting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace KafkaMl.Tests.Support;

/// <summary>
/// The whole portal (embedded broker, SQLite, Hangfire server, real <c>model-check</c> child processes) with a
/// <see cref="FakeJobRunner"/> in place of the real runner, and a fixed portal URL for the jobs. One per collection.
/// </summary>
public sealed class OrchestrationPortalFactory : WebApplicationFactory<Program>
{
    public const string PortalUrl = "http://127.0.0.1:5998";

    public string DataDir { get; } = Directory.CreateTempSubdirectory("kafkaml-orchestration-").FullName;

    public FakeJobRunner Runner { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("KafkaMl:DataDir", DataDir);
        builder.UseSetting("KafkaMl:Kafka:EmbeddedPort", "0");
        builder.UseSetting("KafkaMl:Kafka:BootstrapServers", "");
        builder.UseSetting("KafkaMl:PortalUrl", PortalUrl);
        builder.UseTestAdmin();
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<IJobRunner>(Runner);
            services.Configure<ModelScriptCheckerOptions>(options =>
            {
                options.ExecutablePath = KafkaMlProcess.WebDllPath;
                options.TimeLimit = TimeSpan.FromMinutes(2); // the machine is shared
            });
        });
    }

    /// <summary>Clients act as the admin (see <see cref="TestAdmin"/>).</summary>
    protected override void ConfigureClient(HttpClient client)
    {
        base.ConfigureClient(client);
        client.AuthorizeAsAdmin(Services);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class OrchestrationPortalCollection : ICollectionFixture<OrchestrationPortalFactory>
{
    public const string Name = "orchestration-portal";
}
