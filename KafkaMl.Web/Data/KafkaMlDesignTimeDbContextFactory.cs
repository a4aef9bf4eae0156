using Microsoft.EntityFrameworkCore.Design;

namespace KafkaMl.Web.Data;

/// <summary>Lets <c>dotnet ef</c> build the context without starting the portal's host.</summary>
public sealed class KafkaMlDesignTimeDbContextFactory : IDesignTimeDbContextFactory<KafkaMlDbContext>
{
    public KafkaMlDbContext CreateDbContext(string[] args)
    {
        var databasePath = Path.GetFullPath(Path.Combine(args.FirstOrDefault() ?? "./data", KafkaMlDataExtensions.DatabaseFileName));
        return new KafkaMlDbContext(KafkaMlDataExtensions.CreateOptions(databasePath));
    }
}
