using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace KafkaMl.Tests.Apis;

/// <summary>
/// The context factory the use-case services take, over a <see cref="TestDatabase"/>: a new context per call, with
/// <paramref name="interceptors"/> (e.g. <see cref="TestDatabase.BeforeSaving"/>, a concurrent writer).
/// </summary>
internal sealed class TestContexts(TestDatabase database, params IInterceptor[] interceptors) : IDbContextFactory<KafkaMlDbContext>
{
    public KafkaMlDbContext CreateDbContext() => database.CreateContext(interceptors);
}

/// <summary>
/// New contexts configured like <paramref name="model"/> (the same database file, the same interceptors), one per
/// call: the factory a service takes where a test prepared one context for the handler, e.g. with a concurrent writer.
/// </summary>
internal sealed class ContextsLike(KafkaMlDbContext model) : IDbContextFactory<KafkaMlDbContext>
{
    private readonly DbContextOptions<KafkaMlDbContext> options = (DbContextOptions<KafkaMlDbContext>)model.GetService<IDbContextOptions>();

    public KafkaMlDbContext CreateDbContext() => new(options);
}
