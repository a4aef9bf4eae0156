namespace KafkaMl.Tests.Support;

/// <summary>
/// Specs that call handlers, services and jobs directly over a <see cref="TrainingHarness"/> of their own (a fresh
/// database, orchestrator, notifier and fake runner per test), disposed after each test.
/// </summary>
public abstract class HarnessSpecBase : IDisposable
{
    protected TrainingHarness Harness { get; } = new();

    protected static CancellationToken Ct => CancellationToken.None;

    public void Dispose()
    {
        Harness.Dispose();
        GC.SuppressFinalize(this);
    }
}
