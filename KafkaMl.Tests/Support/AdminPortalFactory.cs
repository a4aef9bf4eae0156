using Microsoft.AspNetCore.Mvc.Testing;

namespace KafkaMl.Tests.Support;

/// <summary>
/// The whole portal in the test process over its own data directory and embedded broker, access control on
/// (accounts mode, admin <see cref="TestAdmin"/>); clients from <c>CreateClient()</c> act as the admin.
/// </summary>
public abstract class AdminPortalFactory(string dataDirPrefix) : WebApplicationFactory<Program>
{
    public string DataDir { get; } = Directory.CreateTempSubdirectory(dataDirPrefix).FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseOwnDataAndBroker(DataDir);
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
        InProcessPortal.DeleteDataDir(DataDir);
        GC.SuppressFinalize(this);
    }
}
