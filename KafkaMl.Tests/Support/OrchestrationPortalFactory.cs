using Microsoft.AspNetCore.TestHost;

namespace KafkaMl.Tests.Support;

/// <summary>
/// The whole portal (embedded broker, SQLite, Hangfire server, real <c>model-check</c> child processes) with a
/// <see cref="FakeJobRunner"/> in place of the real runner, and a fixed portal URL for the jobs. One per collection.
/// </summary>
public sealed class OrchestrationPortalFactory() : AdminPortalFactory("kafkaml-orchestration-")
{
    public const string PortalUrl = "http://127.0.0.1:5998";

    public FakeJobRunner Runner { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("KafkaMl:PortalUrl", PortalUrl);
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
}

[CollectionDefinition(Name)]
public sealed class OrchestrationPortalCollection : ICollectionFixture<OrchestrationPortalFactory>
{
    public const string Name = "orchestration-portal";
}
