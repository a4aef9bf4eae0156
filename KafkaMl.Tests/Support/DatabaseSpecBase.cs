namespace KafkaMl.Tests.Support;

/// <summary>Specs over a fresh SQLite <see cref="TestDatabase"/> of their own per test, disposed after it.</summary>
public abstract class DatabaseSpecBase : IDisposable
{
    protected TestDatabase Database { get; } = new();

    protected static CancellationToken Ct => CancellationToken.None;

    public void Dispose()
    {
        Database.Dispose();
        GC.SuppressFinalize(this);
    }
}
