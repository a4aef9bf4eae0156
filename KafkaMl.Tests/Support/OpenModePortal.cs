using Microsoft.AspNetCore.Mvc.Testing;

namespace KafkaMl.Tests.Support;

/// <summary>A portal in <c>open</c> auth mode (everyone acts as admin) on its own data directory and embedded broker.</summary>
internal sealed class OpenModePortal : WebApplicationFactory<Program>
{
    private readonly string dataDir = Directory.CreateTempSubdirectory("kafkaml-open-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseOwnDataAndBroker(dataDir);
        builder.UseSetting("KafkaMl:Auth:Mode", "open");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        InProcessPortal.DeleteDataDir(dataDir);
    }
}
