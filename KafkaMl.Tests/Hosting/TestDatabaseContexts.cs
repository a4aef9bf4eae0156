namespace KafkaMl.Tests.Hosting;

/// <summary>An <see cref="IDbContextFactory{TContext}"/> over a <see cref="TestDatabase"/>, as the portal registers one.</summary>
internal sealed class TestDatabaseContexts(TestDatabase database) : IDbContextFactory<KafkaMlDbContext>
{
    public KafkaMlDbContext CreateDbContext() => database.CreateContext();
}
