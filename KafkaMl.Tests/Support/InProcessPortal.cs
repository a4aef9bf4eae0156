using Microsoft.Data.Sqlite;

namespace KafkaMl.Tests.Support;

/// <summary>What every in-process portal of the suite (a <c>WebApplicationFactory&lt;Program&gt;</c>) starts and ends with.</summary>
internal static class InProcessPortal
{
    /// <summary>Development settings, a data directory of its own and its own embedded broker on a free port.</summary>
    public static IWebHostBuilder UseOwnDataAndBroker(this IWebHostBuilder builder, string dataDir)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("KafkaMl:DataDir", dataDir);
        builder.UseSetting("KafkaMl:Kafka:EmbeddedPort", "0");
        return builder.UseSetting("KafkaMl:Kafka:BootstrapServers", "");
    }

    /// <summary>Deletes a stopped portal's data directory (pooled SQLite connections would keep its file open).</summary>
    public static void DeleteDataDir(string dataDir)
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } // SQLite may still hold a handle briefly
    }
}
